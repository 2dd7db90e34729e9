// The Node globals the spec tests name (`process`, `setImmediate`), for a browser page. Bundled
// with esbuild's `inject`: free references to these names in the tests resolve here, and
// nothing is added to the page's global object (entangle's core must not see a `process`).

type Listener = (error: unknown) => void;
const windowListeners = new Map<Listener, (event: ErrorEvent) => void>();

function uncaughtOnly(event: string): void {
  if (event !== 'uncaughtException') throw new Error(`process.on('${event}') has no browser counterpart in the spec harness`);
}

interface ProcessShim {
  env: Record<string, string | undefined>;
  prependListener(event: string, listener: Listener): ProcessShim;
  removeListener(event: string, listener: Listener): ProcessShim;
}

/** In a browser an exception thrown by a listener is reported to the window as an `error` event. */
export const process: ProcessShim = {
  env: {},
  prependListener(event, listener) {
    uncaughtOnly(event);
    const onError = (errorEvent: ErrorEvent): void => listener(errorEvent.error);
    windowListeners.set(listener, onError);
    addEventListener('error', onError);
    return process;
  },
  removeListener(event, listener) {
    uncaughtOnly(event);
    const onError = windowListeners.get(listener);
    if (onError !== undefined) removeEventListener('error', onError);
    windowListeners.delete(listener);
    return process;
  },
};

// One task per callback, in FIFO order, through the page's own MessageChannel: the task source
// entangle's core schedules its tasks on in a browser, so that `turn()` in test/spec/helpers.ts
// still means "the tasks queued before it have run".
const NativeChannel = globalThis.MessageChannel;
const channel = new NativeChannel();
const callbacks: (() => void)[] = [];
let head = 0;
channel.port1.onmessage = () => {
  const callback = callbacks[head];
  callbacks[head++] = undefined as unknown as () => void;
  if (head === callbacks.length) {
    callbacks.length = 0;
    head = 0;
  }
  callback?.();
};

export function setImmediate<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void {
  callbacks.push(() => callback(...args));
  channel.port2.postMessage(null);
}
