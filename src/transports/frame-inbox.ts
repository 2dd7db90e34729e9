// Where a transport hands received frames to its `onframe`, keeping those that arrive before
// anyone listens. A peer may speak first: a server's hello can come in the same packet as the
// WebSocket upgrade's answer, before the client's link is attached a turn later. Such frames are
// kept, in order, until `onframe` is first set, and handed over in a microtask (the link sets
// `onframe` before it starts its handshake); frames that arrive meanwhile wait behind them.
// Bounded: past maxBytes they are dropped, and the handshake fails on the gap, as it should for a
// peer that floods before it was even heard.

export type FrameListener = (frame: Uint8Array) => void;

export class FrameInbox {
  readonly #maxBytes: number;
  #listener: FrameListener | null = null;
  /** Kept frames; null once they were handed over (from then on frames go straight to the listener). */
  #early: Uint8Array[] | null = [];
  #earlyBytes = 0;
  #releasing = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The transport's `onframe`. */
  get listener(): FrameListener | null {
    return this.#listener;
  }

  set listener(listener: FrameListener | null) {
    this.#listener = listener;
    if (listener === null || this.#early === null || this.#releasing) return;
    this.#releasing = true;
    queueMicrotask(() => {
      const early = this.#early ?? [];
      // The loop also sees frames that arrive while these are delivered.
      for (let i = 0; i < early.length && this.#listener !== null; i++) this.#listener(early[i]!);
      this.#early = null;
      this.#earlyBytes = 0;
    });
  }

  /** A whole frame arrived. */
  deliver(frame: Uint8Array): void {
    const early = this.#early;
    if (early === null) {
      this.#listener?.(frame);
      return;
    }
    if (this.#earlyBytes + frame.byteLength > this.#maxBytes) return;
    early.push(frame);
    this.#earlyBytes += frame.byteLength;
  }
}
