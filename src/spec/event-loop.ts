// The tasks that ports queue: one macrotask per task, so that microtasks run between two
// message events (item 11), and a global FIFO, so that messages across unshipped ports keep
// one posting order (item 12).
// https://html.spec.whatwg.org/multipage/webappapis.html#event-loops

import { Deque } from '../util/deque.ts';

/** Something a port queues: delivering one message, or firing `close`. */
export interface Task {
  runTask(): void;
}

/**
 * How many tasks queued from inside a running task (a handler that re-posts) may run before a
 * timer armed at the same time has had its chance. Item 11's conformance test allows fewer than
 * 1000 messages before a `setTimeout(0)` scheduled by the handler fires; the bound below is
 * 2 × CHAIN_LIMIT + 1 (see `queueTask`), so 400 leaves a margin.
 */
const CHAIN_LIMIT = 400;

type Scheduler = (callback: () => void) => void;

const host = globalThis as unknown as {
  setImmediate?: (callback: () => void) => unknown;
  setTimeout: (callback: () => void, ms: number) => unknown;
  MessageChannel?: new () => {
    port1: { onmessage: ((event: unknown) => void) | null };
    port2: { postMessage(message: unknown): void };
  };
};

/**
 * One macrotask per call, chosen once at load (before any polyfill could replace the host's
 * MessageChannel): setImmediate where it exists (Node, Bun: a full microtask checkpoint runs
 * between two callbacks, and many queued at once cost ~0.1 µs each); otherwise the host's own
 * MessageChannel (browsers, Deno: a task with no timer clamping); otherwise setTimeout.
 */
function hostScheduler(): Scheduler {
  const { setImmediate, MessageChannel: NativeChannel } = host;
  if (typeof setImmediate === 'function') return (callback) => void setImmediate(callback);
  if (typeof NativeChannel === 'function') {
    const channel = new NativeChannel();
    const callbacks = new Deque<() => void>();
    channel.port1.onmessage = () => callbacks.shift()?.();
    return (callback) => {
      callbacks.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void host.setTimeout(callback, 0);
}

const schedule = hostScheduler();

const runQueue = new Deque<Task>();
/** Callbacks waiting for the port tasks queued when they were registered to have run. */
let afterTasks: (() => void)[] = [];
/** Tasks run since the first of afterTasks waited; at AFTER_TASKS_MAX they run anyway. */
let tasksWaited = 0;
/**
 * Most tasks a waiting callback lets run first. A link's flush waits for a run of handlers to
 * share one frame, but not for hundreds: what one of them sends (an acknowledgement a producer
 * waits on) must not wait for all the rest.
 */
const AFTER_TASKS_MAX = 16;

/**
 * Runs `callback` at the end of this turn (a microtask) when no port task is queued; else once
 * the tasks queued before it have run: in the microtask checkpoint of the last task queued, or of
 * the AFTER_TASKS_MAX-th, or in a macrotask of its own queued behind them, whichever comes
 * first. Hosts flush their links with it: what a run of message handlers sends (an answer to each
 * of a hundred messages) shares frames, and a lone answer goes out at once (docs/protocol.md,
 * "Batching", has the measurements).
 */
export function afterQueuedTasks(callback: () => void): void {
  if (runQueue.length === 0) {
    queueMicrotask(callback);
    return;
  }
  // A queue that never runs dry (handlers on one node posting to each other for ever) must not
  // hold the callback for ever: a macrotask of its own runs it at the latest.
  if (afterTasks.length === 0) {
    tasksWaited = 0;
    schedule(releaseAfterTasks);
  }
  afterTasks.push(callback);
}

/** The queue ran dry: what waited for it runs after this task's microtasks already queued. */
function releaseAfterTasks(): void {
  if (afterTasks.length === 0) return;
  const list = afterTasks;
  afterTasks = [];
  for (const callback of list) queueMicrotask(callback);
}

/** Macrotasks scheduled and not yet run; each runs the oldest task. Never above runQueue.length. */
let scheduled = 0;
let running = false;
/** Tasks queued from inside a running task since the probe was armed. */
let chained = 0;
let probeArmed = false;
let paused = false;

/**
 * Queue a task. Tasks run oldest first, one per macrotask.
 *
 * Starvation guard (item 11): a handler that always re-posts would otherwise run one task per
 * event-loop turn for as long as it likes, and a turn can be faster than a timer's 1 ms. So the
 * first task queued from inside a task arms a probe timer, and once CHAIN_LIMIT such tasks were
 * queued before the probe fired, scheduling pauses until it does. A timer the handler armed
 * after the probe fires no later than the next probe, armed after it: at most 2 × CHAIN_LIMIT
 * + 1 tasks in between. Tasks queued from outside tasks (a sender's burst) never pause.
 */
export function queueTask(task: Task): void {
  runQueue.push(task);
  if (running) {
    if (!probeArmed) armProbe();
    else if (++chained >= CHAIN_LIMIT) paused = true;
  }
  if (!paused) {
    scheduled++;
    schedule(runOne);
  }
}

function runOne(): void {
  scheduled--;
  const task = runQueue.shift();
  if (task === undefined) return;
  running = true;
  try {
    task.runTask();
  } finally {
    running = false;
    if (afterTasks.length > 0 && (runQueue.length === 0 || ++tasksWaited >= AFTER_TASKS_MAX)) releaseAfterTasks();
  }
}

function armProbe(): void {
  probeArmed = true;
  chained = 0;
  host.setTimeout(probeFired, 0);
}

function probeFired(): void {
  probeArmed = false;
  chained = 0;
  if (!paused) return;
  paused = false;
  while (scheduled < runQueue.length) {
    scheduled++;
    schedule(runOne);
  }
}
