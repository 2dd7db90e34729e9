// Frames that arrive before anyone listens. A peer may speak first: a server's hello can come in
// the same packet as the WebSocket upgrade's answer, before the client's link is attached a turn
// later. A transport keeps such frames, in order, until its `onframe` is first set, and hands them
// over in a microtask (the link sets `onframe` before it starts its handshake). Bounded: past
// maxBytes they are dropped, and the handshake fails on the gap, as it should for a peer that
// floods before it was even heard.

export class EarlyFrames {
  readonly #maxBytes: number;
  /** Kept frames; null once they were handed over (from then on frames go straight to onframe). */
  #frames: Uint8Array[] | null = [];
  #bytes = 0;
  #releasing = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether a frame must wait here: nobody listened yet, or earlier frames are still waiting. */
  holds(listening: boolean): boolean {
    return this.#frames !== null && (!listening || this.#frames.length > 0);
  }

  keep(frame: Uint8Array): void {
    if (this.#frames === null || this.#bytes + frame.byteLength > this.#maxBytes) return;
    this.#frames.push(frame);
    this.#bytes += frame.byteLength;
  }

  /** The first listener was set: in a microtask, the kept frames go to `deliver`, oldest first. */
  release(deliver: (frame: Uint8Array) => boolean): void {
    if (this.#frames === null || this.#releasing) return;
    this.#releasing = true;
    queueMicrotask(() => {
      const frames = this.#frames ?? [];
      // Frames that arrive while these are delivered wait behind them (the loop sees them).
      for (let i = 0; i < frames.length; i++) if (!deliver(frames[i]!)) break;
      this.#frames = null;
      this.#bytes = 0;
    });
  }
}
