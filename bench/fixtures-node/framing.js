// The raw baseline's framing over a byte stream (a Unix socket pair), the minimum a hand-written
// transport needs: each frame is a 4-byte big-endian length, a kind byte (0: JSON text, 1: raw
// bytes), then the payload. Frames sent in one turn are written together, once, at the end of it
// (a microtask: the same moment entangle's socket transport writes); small frames are copied into
// one buffer, large ones go as they are, gathered by cork/uncork into one writev.

const HEADER = 5;
const COPY_LIMIT = 4096;
const JSON_KIND = 0;
const BYTES_KIND = 1;

export class FramedStream {
  #socket;
  #onmessage;
  #out = [];
  #outBytes = 0;
  #queued = false;
  /** Received bytes not yet a whole frame: chunks, their total, and the length of the frame they start (-1: header incomplete). */
  #pending = [];
  #pendingBytes = 0;
  #need = -1;

  /** `onmessage(value)`: a JSON frame parsed, or a bytes frame as a Buffer view. */
  constructor(socket, onmessage) {
    this.#socket = socket;
    this.#onmessage = onmessage;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk) => this.#onData(chunk));
  }

  /** JSON for anything but bytes (an ArrayBuffer or a view), which are sent as they are. */
  send(value) {
    let kind = JSON_KIND;
    let payload;
    if (value instanceof ArrayBuffer) {
      kind = BYTES_KIND;
      payload = new Uint8Array(value);
    } else if (ArrayBuffer.isView(value)) {
      kind = BYTES_KIND;
      payload = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    } else {
      payload = Buffer.from(JSON.stringify(value));
    }
    this.#out.push(kind, payload);
    this.#outBytes += HEADER + (payload.byteLength < COPY_LIMIT ? payload.byteLength : 0);
    if (!this.#queued) {
      this.#queued = true;
      queueMicrotask(this.#flush);
    }
  }

  #flush = () => {
    this.#queued = false;
    const out = this.#out;
    this.#out = [];
    const chunks = [];
    let run = Buffer.allocUnsafe(this.#outBytes);
    let pos = 0;
    for (let i = 0; i < out.length; i += 2) {
      const payload = out[i + 1];
      run.writeUInt32BE(payload.byteLength, pos);
      run[pos + 4] = out[i];
      pos += HEADER;
      if (payload.byteLength < COPY_LIMIT) {
        run.set(payload, pos);
        pos += payload.byteLength;
      } else {
        chunks.push(run.subarray(0, pos), payload);
        run = run.subarray(pos);
        pos = 0;
      }
    }
    if (pos > 0) chunks.push(run.subarray(0, pos));
    this.#outBytes = 0;
    if (chunks.length === 1) {
      this.#socket.write(chunks[0]);
    } else {
      this.#socket.cork();
      for (const chunk of chunks) this.#socket.write(chunk);
      this.#socket.uncork();
    }
  };

  #onData(chunk) {
    if (this.#pending.length > 0) {
      // A frame spans chunks: gather until it is whole, then join once.
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.byteLength;
      if (this.#need < 0 && this.#pendingBytes >= HEADER) this.#need = HEADER + Buffer.concat(this.#pending).readUInt32BE(0);
      if (this.#need < 0 || this.#pendingBytes < this.#need) return;
      chunk = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#need = -1;
    }
    let pos = 0;
    while (chunk.byteLength - pos >= HEADER) {
      const length = chunk.readUInt32BE(pos);
      if (chunk.byteLength - pos - HEADER < length) break;
      const kind = chunk[pos + 4];
      const start = pos + HEADER;
      pos = start + length;
      this.#onmessage(kind === JSON_KIND ? JSON.parse(chunk.toString('utf8', start, pos)) : chunk.subarray(start, pos));
    }
    if (pos < chunk.byteLength) {
      const rest = chunk.subarray(pos);
      this.#pending.push(rest);
      this.#pendingBytes = rest.byteLength;
      this.#need = rest.byteLength >= HEADER ? HEADER + rest.readUInt32BE(0) : -1;
    }
  }
}
