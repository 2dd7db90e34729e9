// Checklist item 30 (StructuredSerializeInternal) for ordinary objects and what cannot be cloned:
// property enumeration and getters, prototypes, callables, other internal slots, Proxy,
// non-serializable platform objects.

import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as namespace from './helpers.ts';
import { assertDataCloneError, clone, FakePort } from './helpers.ts';

test('spec 30: getters run in enumeration order, each once', () => {
  const log: string[] = [];
  const o = {
    get b() { log.push('b'); return 1; },
    2: 'two',
    get a() { log.push('a'); return 2; },
    get 1() { log.push('1'); return 3; },
  };
  const copy = clone(o);
  assert.deepEqual(log, ['1', 'b', 'a']);
  assert.deepEqual(Object.keys(copy), ['1', '2', 'b', 'a']);
});

test('spec 30: properties deleted by an earlier getter are skipped', () => {
  const o: Record<string, unknown> = {
    get first() {
      delete o['second'];
      return 1;
    },
    second: 2,
    third: 3,
  };
  assert.deepEqual(clone(o), { first: 1, third: 3 });
});

test('spec 30: properties added by a getter are not copied (keys are snapshotted first)', () => {
  const o: Record<string, unknown> = {
    get first() {
      o['added'] = 1;
      return 1;
    },
  };
  assert.deepEqual(Object.keys(clone(o)), ['first']);
});

test('spec 30: a property made non-enumerable by an earlier getter is still copied (snapshot, then HasOwnProperty)', () => {
  const o: Record<string, unknown> = {
    get first() {
      Object.defineProperty(o, 'second', { enumerable: false });
      return 1;
    },
    second: 2,
  };
  assert.deepEqual(clone(o), { first: 1, second: 2 });
});

test('spec 30: an exception from a getter propagates unchanged', () => {
  const boom = { not: 'an Error' };
  const o = { a: 1, get b(): never { throw boom; } };
  assert.throws(() => clone(o), (e: unknown) => e === boom);
});

test('spec 30: a getter returning its own object makes a cycle (memory is set before recursing)', () => {
  const o = { get me(): unknown { return o; } };
  const copy = clone(o) as { me: unknown };
  assert.equal(copy.me, copy);
});

test('spec 30: symbol keys, non-enumerable and inherited properties are skipped', () => {
  const proto = { inherited: 1 };
  const o = Object.create(proto) as Record<PropertyKey, unknown>;
  o['own'] = 1;
  o[Symbol('s')] = 2;
  Object.defineProperty(o, 'hidden', { value: 3, enumerable: false });
  assert.deepEqual(Reflect.ownKeys(clone(o)), ['own']);
});

test('spec 30: the prototype is not kept: class instances become plain objects; #private fields are ignored', () => {
  class Point {
    #secret = 's';
    constructor(public x: number, public y: number) {}
    get secret(): string {
      return this.#secret;
    }
  }
  const copy = clone(new Point(1, 2));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(copy, { x: 1, y: 2 });
  const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
  assert.equal(Object.getPrototypeOf(clone(nullProto)), Object.prototype);
});

test('spec 30: clone properties are plain writable, enumerable, configurable data properties', () => {
  const o = {};
  Object.defineProperty(o, 'ro', { value: 1, enumerable: true, writable: false, configurable: false });
  Object.defineProperty(o, 'acc', { get: () => 2, enumerable: true });
  const copy = clone(o);
  for (const key of ['ro', 'acc']) {
    const desc = Object.getOwnPropertyDescriptor(copy, key);
    assert.deepEqual(desc, { value: key === 'ro' ? 1 : 2, writable: true, enumerable: true, configurable: true });
  }
});

test('spec 30: "__proto__" and "constructor" keys come back as own data properties, the prototype untouched', () => {
  const o = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "toString": 2, "hasOwnProperty": 3}') as object;
  const copy = clone(o) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(Object.keys(copy), ['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  const arr = Object.assign(JSON.parse('[1]') as unknown[], JSON.parse('{"__proto__": 5}') as object);
  Object.defineProperty(arr, '__proto__', { value: 5, enumerable: true });
  const arrCopy = clone(arr);
  assert.equal(Object.getPrototypeOf(arrCopy), Array.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(arrCopy, '__proto__')?.value, 5);
});

test('spec 30: Object.prototype itself clones as a plain object', () => {
  const copy = clone(Object.prototype);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.notEqual(copy, Object.prototype);
});

test('spec 30: callables → DataCloneError (functions, classes, bound, async, generator functions)', () => {
  const values: unknown[] = [() => 1, class {}, function named() {}.bind(null), async () => {}, function* gen() {}, Math.max];
  for (const v of values) {
    assertDataCloneError(() => clone(v));
    assertDataCloneError(() => clone({ nested: [v] }));
  }
});

test('spec 30: objects with other internal slots → DataCloneError', () => {
  const values: unknown[] = [
    Promise.resolve(), new WeakMap(), new WeakSet(), new WeakRef({}), new FinalizationRegistry(() => {}),
    (function* () {})(), (async function* () {})(), [1][Symbol.iterator](), new Map().entries(), new Set().values(),
    'str'[Symbol.iterator](), /a/g[Symbol.matchAll]('a'), (function () { return arguments; })(), new Intl.Collator(),
    new Intl.NumberFormat(), namespace,
  ];
  for (const v of values) assertDataCloneError(() => clone(v), Object.prototype.toString.call(v));
});

test('spec 30: a class extending a built-in with slots is still that built-in (subclass of Promise → DataCloneError)', () => {
  class MyPromise extends Promise<void> {}
  assertDataCloneError(() => clone(MyPromise.resolve()));
});

test('spec 30: an ordinary object pretending to have slots (prototype or Symbol.toStringTag) is ordinary', () => {
  const fakeMap = Object.create(Map.prototype) as object;
  const fakeWeak = Object.create(WeakMap.prototype) as object;
  const tagged = { [Symbol.toStringTag]: 'Promise', a: 1 };
  assert.equal(Object.getPrototypeOf(clone(fakeMap)), Object.prototype);
  assert.equal(Object.getPrototypeOf(clone(fakeWeak)), Object.prototype);
  assert.deepEqual(clone(tagged), { a: 1 });
});

test('spec 30: a Proxy → DataCloneError without running any trap', () => {
  const log: string[] = [];
  const handler = new Proxy({}, {
    get(_t, trap: string) {
      log.push(trap);
      return undefined;
    },
  });
  assertDataCloneError(() => clone(new Proxy({ a: 1 }, handler)));
  assertDataCloneError(() => clone(new Proxy([1, 2], handler)));
  assertDataCloneError(() => clone({ nested: new Proxy(new Map(), handler) }));
  assertDataCloneError(() => clone(new Proxy(() => 1, handler)));
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assertDataCloneError(() => clone(proxy));
  assert.deepEqual(log, []);
});

test('spec 30: an object whose prototype is a Proxy is ordinary, and the Proxy\'s traps do not run', () => {
  const log: string[] = [];
  const proto = new Proxy({}, {
    getPrototypeOf() {
      log.push('getPrototypeOf');
      return null;
    },
  });
  const o = Object.create(proto) as Record<string, unknown>;
  o['a'] = 1;
  assert.deepEqual(clone(o), { a: 1 });
  assert.deepEqual(log, []);
});

test('spec 30: the global object → DataCloneError', () => {
  assertDataCloneError(() => clone(globalThis));
  assertDataCloneError(() => clone({ g: globalThis }));
});

test('spec 30: non-serializable platform objects → DataCloneError (Node would give {})', () => {
  const values: unknown[] = [
    new EventTarget(), new Event('x'), new AbortController(), new AbortController().signal, new Headers(),
    new Request('http://example.com/'), new Response(''), new FormData(), new URL('http://example.com/'),
    new URLSearchParams('a=1'), new ReadableStream(), new WritableStream(), new TransformStream(), new TextEncoder(),
    new TextDecoder(), new CompressionStream('gzip'), new BroadcastChannel('clone-test'), new CustomEvent('x'),
    new MessageEvent('message'), globalThis.crypto, new WebAssembly.Memory({ initial: 1 }),
    new WebAssembly.Global({ value: 'i32' }, 1), new WebAssembly.Table({ initial: 1, element: 'anyfunc' }),
  ];
  try {
    for (const v of values) assertDataCloneError(() => clone(v), Object.prototype.toString.call(v));
  } finally {
    (values[16] as BroadcastChannel).close();
  }
});

test('spec 30: a subclass instance of a platform interface is a platform object → DataCloneError', () => {
  class MyTarget extends EventTarget {
    value = 1;
  }
  assertDataCloneError(() => clone(new MyTarget()));
});

test('spec 30: platform interfaces are looked up by name when an object claims one: importing and cloning does not load Node\'s lazy globals (undici, web streams, …); a class named like one is still ordinary', () => {
  // A fresh process: this one has long read them all (the test above).
  const script = `
    const lazy = ['Headers', 'Response', 'ReadableStream', 'CompressionStream', 'TextDecoderStream', 'PerformanceObserver', 'CryptoKey']
      .filter((n) => Object.getOwnPropertyDescriptor(globalThis, n)?.get !== undefined);
    const { structuredClone, MessageChannel } = await import(${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)});
    class Point { constructor() { this.x = 1; } }
    structuredClone({ a: [new Point(), new Map([[1, new Date(0)]])], e: new TypeError('x'), u: new Uint8Array(3) });
    const { port1 } = new MessageChannel();
    port1.postMessage({ p: new Point() });
    port1.close();
    const read = lazy.filter((n) => Object.getOwnPropertyDescriptor(globalThis, n)?.get === undefined);
    // Named like an interface: now the global is read, to tell them apart.
    class Headers { constructor() { this.h = 2; } }
    const copy = structuredClone({ h: new Headers() });
    let thrown = '';
    try { structuredClone(new globalThis.Response('')); } catch (error) { thrown = error.name; }
    console.log(JSON.stringify({ lazy: lazy.length, read, h: copy.h, thrown }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { lazy: number; read: string[]; h: unknown; thrown: string };
  assert.ok(result.lazy >= 5, 'Node 20 defines these globals lazily');
  assert.deepEqual(result.read, [], 'no lazy global read by importing and cloning');
  assert.deepEqual(result.h, { h: 2 }, 'a user class named Headers clones as an ordinary object');
  assert.equal(result.thrown, 'DataCloneError', 'a real Response, met later, is still a platform object');
});

test('spec 30: a MessagePort-like transferable outside the transfer list → DataCloneError', () => {
  assertDataCloneError(() => clone({ port: new FakePort() }));
  const { port1, port2 } = new MessageChannel();
  try {
    assertDataCloneError(() => clone(port1));
  } finally {
    port1.close();
    port2.close();
  }
});

test('spec 30: the DataCloneError names what could not be cloned', () => {
  assert.throws(() => clone(new WeakMap()), /WeakMap/);
  assert.throws(() => clone(new EventTarget()), /EventTarget/);
  assert.throws(() => clone(new FakePort()), /FakePort that is not in the transfer list/);
});

test('spec 30: getters run depth first: a nested object is finished before its parent goes on', () => {
  const log: string[] = [];
  const o = {
    get a() {
      log.push('a');
      return {
        get x() { log.push('a.x'); return new Map([['k', { get deep() { log.push('a.x.deep'); return 1; } }]]); },
        get y() { log.push('a.y'); return 2; },
      };
    },
    get b() { log.push('b'); return [{ get z() { log.push('b.0.z'); return 3; } }]; },
  };
  clone(o);
  assert.deepEqual(log, ['a', 'a.x', 'a.x.deep', 'a.y', 'b', 'b.0.z']);
});

test('spec 30: nesting depth is not limited by the call stack (100,000 levels, Error causes included)', () => {
  let list: unknown = null;
  let arrays: unknown = [];
  let maps: unknown = new Map();
  let errors: Error = new Error('root');
  for (let i = 0; i < 100_000; i++) {
    list = { i, next: list };
    arrays = [arrays];
    maps = new Map([['m', maps]]);
    errors = new TypeError(`e${i}`, { cause: errors });
  }
  const copy = clone({ list, arrays, maps, errors }) as { list: { i: number; next: unknown }; arrays: unknown[]; maps: Map<string, unknown>; errors: Error };
  let causeDepth = 0;
  let error: unknown = copy.errors;
  for (; error instanceof TypeError; error = (error as Error).cause) causeDepth++;
  assert.equal(causeDepth, 100_000);
  assert.ok(error instanceof Error && error.message === 'root' && !('cause' in error));
  let depth = 0;
  for (let node: { next: unknown } | null = copy.list; node !== null; node = node.next as { next: unknown } | null) depth++;
  assert.equal(depth, 100_000);
  let arrayDepth = 0;
  for (let a = copy.arrays; a.length > 0; a = a[0] as unknown[]) arrayDepth++;
  assert.equal(arrayDepth, 100_000);
  let mapDepth = 0;
  for (let m = copy.maps; m.has('m'); m = m.get('m') as Map<string, unknown>) mapDepth++;
  assert.equal(mapDepth, 100_000);
});

test('spec 30: getter order is kept past the depth where recursion gives way to an explicit stack', () => {
  const log: string[] = [];
  const level = (i: number): object => (i === 300 ? {} : {
    get a() { log.push(`a${i}`); return i % 3 === 0 ? new Map([['m', level(i + 1)]]) : i % 3 === 1 ? [level(i + 1)] : level(i + 1); },
    get b() { log.push(`b${i}`); return i; },
  });
  const copy = clone(level(0));
  const expected = [...Array.from({ length: 300 }, (_, i) => `a${i}`), ...Array.from({ length: 300 }, (_, i) => `b${299 - i}`)];
  assert.deepEqual(log, expected);
  let node: unknown = copy;
  for (let i = 0; i < 300; i++) {
    assert.equal((node as { b: number }).b, i);
    const a = (node as { a: unknown }).a;
    node = i % 3 === 0 ? (a as Map<string, unknown>).get('m') : i % 3 === 1 ? (a as unknown[])[0] : a;
  }
  assert.deepEqual(node, {});
});
