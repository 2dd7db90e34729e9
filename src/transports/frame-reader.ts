// Reading the socket transport's frames (a 4-byte big-endian length, then that many bytes; see
// socket.ts) out of a byte stream, in either of the two ways Node reads a stream: chunks the
// stream allocates for each read ('data'), or a buffer this reader chooses before each read
// (net.Socket's `onread` option). The second reads a frame that spans reads straight into its own
// bytes: no buffer allocated per read, no chunk kept until the frame is whole, no copy.
//
// A length over maxFrameBytes stops the reader before anything is allocated for the frame. A
// frame's bytes are allocated as they arrive, never more than GROWTH times what has arrived (and
// at least the first 64 KiB): a header alone, claiming maxFrameBytes, costs a peer no more than
// that, however many connections it opens.

import { uninitializedBytes } from '../util/uninitialized.ts';

export const HEADER_BYTES = 4;

/** The buffer a stream read through `onread` reads into when no frame is being filled. */
const SCRATCH_BYTES = 64 * 1024;

/** A frame still missing at least this many bytes is read straight into its own bytes (onread); a smaller rest is read into the scratch buffer with whatever follows it, and copied. */
const DIRECT_FROM = 16 * 1024;

/** A frame being read has room for at most this many times the bytes of it that have arrived (at least FIRST_ROOM), growing by as much when it fills. */
const GROWTH = 4;
const FIRST_ROOM = 64 * 1024;

export interface FrameReaderHost {
  /** A whole frame; the host keeps it (the reader never writes it again). */
  frame(bytes: Uint8Array): void;
  /** A header announced `length` bytes, over maxFrameBytes: the reader has stopped. */
  tooLarge(length: number): void;
}

/** net.Socket's `onread` option (Node ≥ 12): where to read next, and what was read there. */
export interface OnRead {
  buffer(): Uint8Array;
  callback(bytesRead: number, buffer: Uint8Array): boolean;
}

export class FrameReader {
  readonly #host: FrameReaderHost;
  readonly #maxFrameBytes: number;
  #reading = true;
  /** A header cut by the end of a read: its bytes so far (0 when none) and their value. */
  #headerBytes = 0;
  #headerValue = 0;
  /** A frame cut by the end of a read, being filled: #length bytes in all, #filled of them in #frame so far (which has room for at least one more, and is the whole frame once it is full). */
  #frame: Uint8Array | null = null;
  #length = 0;
  #filled = 0;
  /** onread: the reused buffer, and whether the stream was last handed the rest of #frame instead. */
  #scratch: Uint8Array | null = null;
  #direct = false;

  constructor(host: FrameReaderHost, maxFrameBytes: number) {
    this.#host = host;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Part of a frame (or of its header) has been read: an end of the stream now ends inside a frame. */
  get inFrame(): boolean {
    return this.#frame !== null || this.#headerBytes > 0;
  }

  /** Bytes allocated for a frame being read (0 when none): at most GROWTH times what has arrived of it, or FIRST_ROOM. */
  get roomBytes(): number {
    return this.#frame === null ? 0 : this.#frame.byteLength;
  }

  /** No more frames: what was partly read is dropped. */
  stop(): void {
    this.#reading = false;
    this.#frame = null;
    this.#headerBytes = 0;
    this.#scratch = null;
  }

  /** A chunk the stream allocated for us (and never reuses): whole frames in it are handed on as views of it. */
  chunk(bytes: Uint8Array): void {
    this.#feed(bytes, bytes.byteLength, false);
  }

  /** The `onread` option for a net.Socket read through this reader (instead of `chunk`). */
  readonly onread: OnRead = {
    buffer: () => this.#nextBuffer(),
    callback: (bytesRead, buffer) => {
      if (!this.#reading) return false;
      if (this.#direct) {
        this.#filled += bytesRead;
        this.#filledUp();
      } else {
        this.#feed(buffer, bytesRead, true);
      }
      return this.#reading;
    },
  };

  #nextBuffer(): Uint8Array {
    const frame = this.#frame;
    this.#direct = frame !== null && frame.byteLength - this.#filled >= DIRECT_FROM;
    if (this.#direct) return frame!.subarray(this.#filled);
    // Once stopped, reads may still come until the stream notices: a small buffer will do.
    if (!this.#reading) return new Uint8Array(HEADER_BYTES);
    return (this.#scratch ??= new Uint8Array(SCRATCH_BYTES));
  }

  /** After bytes went into #frame: hands it on if it is whole, or grows it if it is full. */
  #filledUp(): void {
    const frame = this.#frame!;
    if (this.#filled === this.#length) {
      this.#frame = null;
      this.#host.frame(frame);
    } else if (this.#filled === frame.byteLength) {
      // Every byte of the new room is written by later reads before the frame is handed on.
      const grown = uninitializedBytes(Math.min(this.#length, this.#filled * GROWTH));
      grown.set(frame);
      this.#frame = grown;
    }
  }

  /** Frames from `bytes[0, end)`; `reused`: the bytes will be overwritten, so whole frames are copied out, not viewed. */
  #feed(bytes: Uint8Array, end: number, reused: boolean): void {
    let pos = 0;
    while (this.#frame !== null && pos < end) {
      const frame = this.#frame;
      const n = Math.min(end - pos, frame.byteLength - this.#filled);
      frame.set(bytes.subarray(pos, pos + n), this.#filled);
      this.#filled += n;
      pos += n;
      this.#filledUp();
    }
    while (pos < end && this.#reading) {
      let length: number;
      if (this.#headerBytes === 0 && end - pos >= HEADER_BYTES) {
        length = ((bytes[pos]! << 24) >>> 0) + (bytes[pos + 1]! << 16) + (bytes[pos + 2]! << 8) + bytes[pos + 3]!;
        pos += HEADER_BYTES;
      } else {
        // A header cut by the end of a read: a byte at a time.
        while (this.#headerBytes < HEADER_BYTES && pos < end) {
          this.#headerValue = this.#headerValue * 256 + bytes[pos++]!;
          this.#headerBytes++;
        }
        if (this.#headerBytes < HEADER_BYTES) return;
        length = this.#headerValue;
        this.#headerBytes = 0;
        this.#headerValue = 0;
      }
      if (length > this.#maxFrameBytes) {
        this.stop();
        this.#host.tooLarge(length);
        return;
      }
      if (end - pos >= length) {
        let frame: Uint8Array;
        if (reused) {
          // Every byte is written at once.
          frame = uninitializedBytes(length);
          frame.set(bytes.subarray(pos, pos + length));
        } else {
          frame = new Uint8Array(bytes.buffer, bytes.byteOffset + pos, length);
        }
        pos += length;
        this.#host.frame(frame);
      } else {
        // The rest of this frame comes in later reads: into its own bytes from now on (the ones
        // not yet read are written by them, and nothing reads the frame before it is whole).
        const arrived = end - pos;
        const frame = uninitializedBytes(Math.min(length, Math.max(FIRST_ROOM, arrived * GROWTH)));
        frame.set(bytes.subarray(pos, end));
        this.#frame = frame;
        this.#length = length;
        this.#filled = arrived;
        return;
      }
    }
  }
}
