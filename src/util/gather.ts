// Bytes to be written one after the other (a writev), in as few pieces as it takes without
// copying the large ones: every piece of at least `keepFrom` bytes goes as it is, and everything
// between two such pieces (headers written in place, small pieces copied) is a view into one
// buffer. Used for a link's DATA frame made of its messages (src/link/frames.ts) and for a
// socket's turn of frames behind their length headers (src/transports/socket.ts).

/** Bytes, or the pieces they are made of in order. */
export type Bytes = Uint8Array | readonly Uint8Array[];

/** The number of bytes of `bytes`. */
export function lengthOf(bytes: Bytes): number {
  if (bytes instanceof Uint8Array) return bytes.byteLength;
  let length = 0;
  for (let i = 0; i < bytes.length; i++) length += bytes[i]!.byteLength;
  return length;
}

/** The number of bytes in the pieces of at least `keepFrom` bytes among `items[from, to)`: what a Gather over them does not copy. */
export function keptBytes(items: readonly Bytes[], from: number, to: number, keepFrom: number): number {
  let kept = 0;
  for (let i = from; i < to; i++) {
    const item = items[i]!;
    if (item instanceof Uint8Array) {
      if (item.byteLength >= keepFrom) kept += item.byteLength;
    } else {
      for (let k = 0; k < item.length; k++) if (item[k]!.byteLength >= keepFrom) kept += item[k]!.byteLength;
    }
  }
  return kept;
}

export class Gather {
  /** The copied bytes; the caller writes headers into it at `pos` (and moves `pos` past them). */
  readonly buffer: Uint8Array;
  pos = 0;
  readonly #keepFrom: number;
  readonly #pieces: Uint8Array[] = [];
  #runStart = 0;

  /** `buffer` must be exactly as long as what will be copied into it: it need not be zeroed, and finish() checks that all of it was written. */
  constructor(buffer: Uint8Array, keepFrom: number) {
    this.buffer = buffer;
    this.#keepFrom = keepFrom;
  }

  /** Appends `bytes` (each piece, if pieces): copied if smaller than keepFrom, else kept as they are. */
  put(bytes: Bytes): void {
    if (bytes instanceof Uint8Array) this.#put(bytes);
    else for (let k = 0; k < bytes.length; k++) this.#put(bytes[k]!);
  }

  #put(piece: Uint8Array): void {
    if (piece.byteLength < this.#keepFrom) {
      this.buffer.set(piece, this.pos);
      this.pos += piece.byteLength;
      return;
    }
    if (this.pos > this.#runStart) this.#pieces.push(this.buffer.subarray(this.#runStart, this.pos));
    this.#pieces.push(piece);
    this.#runStart = this.pos;
  }

  /** The pieces, in order. Throws (naming `what`) if the buffer was not filled exactly: an unwritten byte must never go out. */
  finish(what: string): Uint8Array[] {
    if (this.pos !== this.buffer.byteLength) throw new RangeError(`${what}: wrote ${this.pos} of ${this.buffer.byteLength} copied bytes.`);
    if (this.pos > this.#runStart) this.#pieces.push(this.buffer.subarray(this.#runStart, this.pos));
    return this.#pieces;
  }
}
