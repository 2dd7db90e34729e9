// The Node built-ins test/spec/helpers.ts imports (`node:v8`, `node:vm`, `node:timers/promises`),
// for a browser page: a timer promise, and garbage collection through the driver.
//
// Without --expose-gc (test/browser/chromium.ts launches Chromium as every browser test does),
// the driver exposes `__collectGarbage`, which asks Chromium over the DevTools protocol for a
// full collection (HeapProfiler.collectGarbage). That is asynchronous while helpers.ts's gc() is
// not, so the next timer promise (collectUntil sleeps right after each gc()) first waits for
// the collection to finish.

type Collector = () => unknown;
let pendingCollection: Promise<unknown> | null = null;

function collectGarbage(): void {
  const exposed = (globalThis as { gc?: Collector }).gc;
  if (typeof exposed === 'function') {
    exposed();
    return;
  }
  const viaDriver = (globalThis as { __collectGarbage?: () => Promise<unknown> }).__collectGarbage;
  if (typeof viaDriver !== 'function') throw new Error('no way to collect garbage in this page (no gc, no __collectGarbage)');
  pendingCollection = Promise.all([pendingCollection, viaDriver()]);
}

/** `node:v8`: only the flag helpers.ts sets; the collector above stands for it. */
export function setFlagsFromString(flags: string): void {
  if (flags !== '--expose-gc') throw new Error(`setFlagsFromString('${flags}') is not available in the browser harness`);
}

/** `node:vm`: only `runInNewContext('gc')`, which returns the collector. */
export function runInNewContext(code: string): unknown {
  if (code !== 'gc') throw new Error(`runInNewContext('${code}') is not available in the browser harness`);
  return collectGarbage;
}

/** `node:timers/promises`: setTimeout(ms, value), after any collection still running. */
export async function setTimeout<T = void>(ms?: number, value?: T): Promise<T> {
  if (pendingCollection !== null) {
    const collection = pendingCollection;
    pendingCollection = null;
    await collection;
  }
  await new Promise((resolve) => globalThis.setTimeout(resolve, ms ?? 1));
  return value as T;
}
