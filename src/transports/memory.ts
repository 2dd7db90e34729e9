// An in-memory FrameTransport pair for tests and the simulator: FIFO per direction, delivery
// through an injectable `schedule(fn, delayMs)` so a seeded simulator owns time, and faults:
// sever (both ends close, frames in flight lost), blackhole (a stopped process: silence, no close),
// per-frame delay and sever hooks.

import type { FrameTransport } from '../link/transport.ts';

export interface MemoryTransportOptions {
  /** Runs `fn` after `delayMs`. Default: queueMicrotask for 0, the host's setTimeout otherwise. */
  readonly schedule?: (fn: () => void, delayMs: number) => void;
  /** Delay of each frame in ms (default 0). Order within a direction is kept whatever the delays. */
  readonly delay?: (frame: Uint8Array, from: MemoryTransport) => number;
  /** Called for each frame sent; true severs the pair instead (the frame and all in flight are lost). */
  readonly severOn?: (frame: Uint8Array, from: MemoryTransport) => boolean;
}

const CLOSE = Symbol('close');
type Item = Uint8Array | typeof CLOSE;

const defaultSchedule = (fn: () => void, delayMs: number): void => {
  if (delayMs <= 0) queueMicrotask(fn);
  else (globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown }).setTimeout(fn, delayMs);
};

/** What both ends share: whether the pipe is severed or blackholed. */
class Pipe {
  severed = false;
  blackholed = false;
  constructor(readonly options: MemoryTransportOptions) {}
}

export class MemoryTransport implements FrameTransport {
  onframe: ((frame: Uint8Array) => void) | null = null;
  onclose: ((error?: unknown) => void) | null = null;
  /** Frames this end has sent (including ones later lost). */
  framesSent = 0;
  bytesSent = 0;
  readonly #pipe: Pipe;
  /** Frames (and a close marker) on their way to this end. */
  readonly #inbox: Item[] = [];
  #other: MemoryTransport | null = null;
  /** No more sends from this end (it closed, or the pipe broke). */
  #sendClosed = false;
  /** onclose has been called (or is queued). */
  #closeFired = false;

  private constructor(pipe: Pipe) {
    this.#pipe = pipe;
  }

  /** The other end. */
  get peer(): MemoryTransport {
    return this.#other!;
  }

  get closed(): boolean {
    return this.#closeFired;
  }

  /** Frames on their way to this end. */
  get inFlight(): number {
    return this.#inbox.length;
  }

  static pair(options: MemoryTransportOptions = {}): [MemoryTransport, MemoryTransport] {
    const pipe = new Pipe(options);
    const a = new MemoryTransport(pipe);
    const b = new MemoryTransport(pipe);
    a.#other = b;
    b.#other = a;
    return [a, b];
  }

  send(frame: Uint8Array): void {
    if (this.#sendClosed || this.#pipe.severed) return;
    this.framesSent++;
    this.bytesSent += frame.length;
    if (this.#pipe.blackholed) return;
    if (this.#pipe.options.severOn?.(frame, this) === true) {
      this.sever();
      return;
    }
    this.#other!.#enqueue(frame, this.#pipe.options.delay?.(frame, this) ?? 0);
  }

  /** Graceful: frames already sent still arrive, then the other end sees close; this end sees close too. */
  close(): void {
    if (this.#sendClosed) return;
    this.#sendClosed = true;
    this.#fireClose(undefined, 0);
    if (!this.#pipe.severed && !this.#pipe.blackholed) this.#other!.#enqueue(CLOSE, this.#pipe.options.delay?.(new Uint8Array(0), this) ?? 0);
  }

  /** The connection breaks: both ends see close (with an error), every frame in flight is lost. */
  sever(): void {
    const pipe = this.#pipe;
    if (pipe.severed) return;
    pipe.severed = true;
    const error = new Error('memory transport severed');
    for (const end of [this, this.#other!]) {
      end.#sendClosed = true;
      end.#inbox.length = 0;
      end.#fireClose(error, 0);
    }
  }

  /** The other side stops, as a frozen process does: every frame in flight and from now on vanishes, and no close is ever seen. */
  blackhole(): void {
    this.#pipe.blackholed = true;
    this.#inbox.length = 0;
    this.#other!.#inbox.length = 0;
  }

  #enqueue(item: Item, delayMs: number): void {
    this.#inbox.push(item);
    // Each task delivers the oldest item, not "its" item: whatever the delays, a direction stays FIFO.
    (this.#pipe.options.schedule ?? defaultSchedule)(() => this.#deliverOne(), delayMs);
  }

  #deliverOne(): void {
    if (this.#inbox.length === 0 || this.#pipe.blackholed) return;
    const item = this.#inbox.shift()!;
    if (item === CLOSE) {
      this.#sendClosed = true;
      this.#inbox.length = 0;
      this.#fireClose(undefined, -1);
      return;
    }
    if (this.#closeFired) return;
    this.onframe?.(item);
  }

  /** delayMs < 0: now (we are already in a delivery task). */
  #fireClose(error: Error | undefined, delayMs: number): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    const fire = (): void => {
      const onclose = this.onclose;
      this.onclose = null;
      onclose?.(error);
    };
    if (delayMs < 0) fire();
    else (this.#pipe.options.schedule ?? defaultSchedule)(fire, delayMs);
  }
}

/** Two connected in-memory transports. */
export function memoryTransportPair(options: MemoryTransportOptions = {}): [MemoryTransport, MemoryTransport] {
  return MemoryTransport.pair(options);
}
