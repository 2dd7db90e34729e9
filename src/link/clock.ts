// Time for the link layer: an injectable Clock (so a seeded simulator or a test owns time), the
// default one over the host's timers, a manual one for tests, and a counted set of timers so a
// Links table can prove it left none behind.

/** Where the link layer gets time and timers. Handles are opaque to the link. */
export interface Clock {
  /** Milliseconds, monotonic (only differences are used). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface HostTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  performance?: { now(): number };
}
const host = globalThis as unknown as HostTimers;

/** The host's timers; `performance.now()` where there is one (it does not jump when the wall clock is set). */
export const systemClock: Clock = {
  now: typeof host.performance?.now === 'function' ? () => host.performance!.now() : () => Date.now(),
  setTimeout: (fn, ms) => host.setTimeout(fn, ms),
  clearTimeout: (handle) => host.clearTimeout(handle),
};

/** The default end-of-turn scheduler: a microtask, so everything sent in one synchronous turn is batched. */
export const microtaskSchedule = (fn: () => void): void => queueMicrotask(fn);

interface ManualTask {
  at: number;
  order: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to: tasks run in (time, insertion) order, so a test or a
 * simulator that drives it is deterministic. `schedule(fn, delayMs)` is the same as setTimeout
 * and fits both the Links `schedule` option and the memory transport's.
 */
export class ManualClock implements Clock {
  #now = 0;
  #order = 0;
  #heap: ManualTask[] = [];
  #live = new Set<ManualTask>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const task: ManualTask = { at: this.#now + Math.max(0, ms || 0), order: this.#order++, fn };
    this.#live.add(task);
    this.#push(task);
    return task;
  }

  clearTimeout(handle: unknown): void {
    this.#live.delete(handle as ManualTask);
  }

  readonly schedule = (fn: () => void, delayMs = 0): void => {
    this.setTimeout(fn, delayMs);
  };

  /** Tasks not yet run nor cleared. */
  get pending(): number {
    return this.#live.size;
  }

  /** When the next live task is due, or undefined. */
  nextAt(): number | undefined {
    this.#dropCleared();
    return this.#heap[0]?.at;
  }

  /** Runs every task due now, including those they add for now; returns how many ran. */
  runDue(maxTasks = 1_000_000): number {
    let ran = 0;
    for (;;) {
      this.#dropCleared();
      const task = this.#heap[0];
      if (task === undefined || task.at > this.#now) return ran;
      if (ran >= maxTasks) throw new Error(`ManualClock: more than ${maxTasks} tasks at t=${this.#now}`);
      this.#pop();
      this.#live.delete(task);
      ran++;
      task.fn();
    }
  }

  /** Moves time forward by `ms`, running tasks in order at their own times. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.runDue();
      const next = this.nextAt();
      if (next === undefined || next > target) break;
      this.#now = next;
    }
    this.#now = target;
    this.runDue();
  }

  /** Moves time to the next task and runs what is due then; false when nothing is pending. */
  step(): boolean {
    const next = this.nextAt();
    if (next === undefined) return false;
    if (next > this.#now) this.#now = next;
    this.runDue();
    return true;
  }

  #dropCleared(): void {
    while (this.#heap.length > 0 && !this.#live.has(this.#heap[0]!)) this.#pop();
  }

  #before(a: ManualTask, b: ManualTask): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  #push(task: ManualTask): void {
    const heap = this.#heap;
    let i = heap.push(task) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.#before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && this.#before(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

/** A timer a TimerSet owns; `clear` it through the set. */
export interface Timer {
  handle: unknown;
}

/** The timers one Links table has set, counted, so that `stats().pendingTimers` can show none leaked. */
export class TimerSet {
  readonly #clock: Clock;
  readonly #live = new Set<Timer>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#live.size;
  }

  set(fn: () => void, ms: number): Timer {
    const timer: Timer = { handle: undefined };
    timer.handle = this.#clock.setTimeout(() => {
      if (!this.#live.delete(timer)) return;
      fn();
    }, ms);
    this.#live.add(timer);
    return timer;
  }

  clear(timer: Timer | null): null {
    if (timer !== null && this.#live.delete(timer)) this.#clock.clearTimeout(timer.handle);
    return null;
  }

  clearAll(): void {
    for (const timer of this.#live) this.#clock.clearTimeout(timer.handle);
    this.#live.clear();
  }
}
