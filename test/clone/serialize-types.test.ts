// Checklist item 30 (StructuredSerializeInternal), by type: memory, primitives, wrappers, Date,
// RegExp, Map, Set, Error, Array, serializable platform objects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { types } from 'node:util';
import { structuredSerialize } from '../../src/clone/index.ts';
import { assertDataCloneError, clone } from './helpers.ts';

test('spec 30: memory: a value reached twice comes back as one object ([x, x])', () => {
  const x = { a: 1 };
  const d = new Date(0);
  const copy = clone([x, x, d, d]);
  assert.notEqual(copy[0], x);
  assert.equal(copy[0], copy[1]);
  assert.equal(copy[2], copy[3]);
  const record = structuredSerialize([x, x]) as unknown as { properties: [string, unknown][] };
  assert.equal(record.properties[0]?.[1], record.properties[1]?.[1], 'the same record twice');
});

test('spec 30: memory: cycles through objects, arrays, Maps and Sets survive', () => {
  const o: Record<string, unknown> = {};
  o['self'] = o;
  const a: unknown[] = [];
  a.push(a);
  const m = new Map<unknown, unknown>();
  m.set(m, m);
  const s = new Set<unknown>();
  s.add(s);
  const copy = clone({ o, a, m, s });
  assert.equal(copy.o['self'], copy.o);
  assert.equal(copy.a[0], copy.a);
  assert.equal(copy.m.get(copy.m), copy.m);
  assert.ok(copy.s.has(copy.s));
});

test('spec 30: primitives are themselves: -0, NaN, lone surrogates, huge BigInts, undefined, null', () => {
  const huge = 2n ** 4096n + 1n;
  const values = [-0, NaN, Infinity, '\uD800', 'a\uDFFFb', huge, -huge, undefined, null, true, ''];
  const copy = clone(values);
  values.forEach((v, i) => assert.ok(Object.is(copy[i], v), `index ${i}`));
  assert.ok(Object.is(clone(-0), -0));
  assert.equal(clone(undefined), undefined);
});

test('spec 30: a primitive allocates no record', () => {
  assert.equal(structuredSerialize('s'), 's');
  assert.equal(structuredSerialize(5n), 5n);
});

test('spec 30: Symbol → DataCloneError (top level, nested, as a Map key)', () => {
  assertDataCloneError(() => clone(Symbol('s')));
  assertDataCloneError(() => clone({ a: [Symbol.iterator] }));
  assertDataCloneError(() => clone(new Map([[Symbol('k'), 1]])));
});

test('spec 30: symbol-keyed properties are skipped, not an error', () => {
  const copy = clone({ [Symbol('s')]: 1, a: 2 });
  assert.deepEqual(Reflect.ownKeys(copy), ['a']);
});

test('spec 30: Boolean, Number, BigInt and String wrappers come back as new wrappers of the same value', () => {
  const values = [Object(false), Object(-0), Object(NaN), Object(12n), Object('str'), new String('\uD800')];
  const copy = clone(values);
  values.forEach((v, i) => {
    assert.notEqual(copy[i], v);
    assert.equal(Object.prototype.toString.call(copy[i]), Object.prototype.toString.call(v));
    assert.ok(Object.is((copy[i] as { valueOf(): unknown }).valueOf(), v.valueOf()));
  });
});

test('spec 30: wrappers are recognised by brand, not by prototype or Symbol.toStringTag', () => {
  const spoofed = Object.setPrototypeOf(Object(5), String.prototype) as object;
  Object.defineProperty(spoofed, Symbol.toStringTag, { value: 'Date' });
  const copy = clone(spoofed);
  assert.ok(types.isNumberObject(copy));
  assert.equal(Number.prototype.valueOf.call(copy), 5);
  assert.equal(Object.getPrototypeOf(copy), Number.prototype, 'prototype from this realm, not kept');
  const fake = Object.create(Number.prototype) as object; // no [[NumberData]]: an ordinary object
  const fakeCopy = clone(fake);
  assert.equal(Object.getPrototypeOf(fakeCopy), Object.prototype);
  assert.ok(!types.isNumberObject(fakeCopy));
});

test('spec 30: values from another realm clone by brand (vm context)', () => {
  const foreign = vm.runInNewContext(`({
    n: Object(1), s: new String('x'), d: new Date(5), r: /a/g, m: new Map([[1, 2]]), st: new Set([3]),
    e: new RangeError('m'), u8: new Uint8Array([1, 2]), ab: new ArrayBuffer(2), arr: [1, , 3],
  })`) as Record<string, unknown>;
  const copy = clone(foreign);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.ok(copy['n'] instanceof Number && copy['s'] instanceof String);
  assert.ok(copy['d'] instanceof Date && (copy['d'] as Date).getTime() === 5);
  assert.ok(copy['r'] instanceof RegExp && (copy['r'] as RegExp).flags === 'g');
  assert.ok(copy['m'] instanceof Map && (copy['m'] as Map<number, number>).get(1) === 2);
  assert.ok(copy['st'] instanceof Set);
  assert.ok(copy['e'] instanceof RangeError);
  assert.ok(copy['u8'] instanceof Uint8Array && copy['ab'] instanceof ArrayBuffer);
  assert.ok(Array.isArray(copy['arr']) && !(1 in (copy['arr'] as unknown[])));
});

test('spec 30: a Symbol wrapper object → DataCloneError', () => {
  assertDataCloneError(() => clone(Object(Symbol('s'))));
});

test('spec 30: String.prototype is a String exotic object and clones as a String wrapper (as V8)', () => {
  const copy = clone(String.prototype);
  assert.ok(types.isStringObject(copy));
  assert.equal(String(copy), '');
});

test('spec 30: Date keeps its time value (±8.64e15 and NaN); own properties are dropped', () => {
  const dates = [new Date(8.64e15), new Date(-8.64e15), new Date(NaN), new Date(1.5)];
  Object.assign(dates[0] as Date, { extra: 1 });
  const copy = clone(dates);
  dates.forEach((d, i) => assert.ok(Object.is(copy[i]?.getTime(), d.getTime())));
  assert.ok(!Object.hasOwn(copy[0] as Date, 'extra'));
  assert.equal(Object.getPrototypeOf(copy[0]), Date.prototype);
});

test('spec 30: RegExp keeps source and flags; lastIndex and own properties are dropped', () => {
  const r = /a(?<x>b)+/dgimsy;
  r.lastIndex = 3;
  Object.assign(r, { extra: 1 });
  const copy = clone(r);
  assert.equal(copy.source, r.source);
  assert.equal(copy.flags, 'dgimsy');
  assert.equal(copy.lastIndex, 0);
  assert.ok(!Object.hasOwn(copy, 'extra'));
  assert.equal(clone(new RegExp('[\\p{L}--[a-z]]', 'v')).flags, 'v');
  assert.equal(clone(new RegExp('/', 'u')).source, '\\/');
});

test('spec 30: RegExp.prototype itself is an ordinary object', () => {
  const copy = clone(RegExp.prototype);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.ok(!types.isRegExp(copy));
});

test('spec 30: Map and Set copy entries in insertion order; keys and values are cloned', () => {
  const key = { k: 1 };
  const m = new Map<unknown, unknown>([[key, 'v'], [1, key], ['z', [1]]]);
  const s = new Set<unknown>([3, key, 1]);
  const copy = clone({ m, s });
  assert.deepEqual([...copy.m.keys()].map((k) => typeof k), ['object', 'number', 'string']);
  const copiedKey = [...copy.m.keys()][0];
  assert.equal(copy.m.get(1), copiedKey, 'shared reference between a key and a value');
  assert.deepEqual([...copy.s], [3, copiedKey, 1]);
});

test('spec 30: Map entries are snapshotted before any is serialized (a getter adding entries is not seen)', () => {
  const m = new Map<unknown, unknown>();
  const s = new Set<unknown>();
  m.set('a', {
    get g() {
      m.set('late', 1);
      m.delete('b');
      s.add('late');
      return 1;
    },
  });
  m.set('b', 2);
  s.add('first');
  const copy = clone([m, s]);
  assert.deepEqual([...(copy[0] as Map<unknown, unknown>).keys()], ['a', 'b'], 'deleted entry still copied, added one not');
  assert.deepEqual([...(copy[1] as Set<unknown>)], ['first', 'late'], 'the Set was snapshotted after the Map ran its getter');
});

test('spec 30: Map and Set subclasses come back as plain Map and Set', () => {
  class MyMap extends Map<number, number> {}
  class MySet extends Set<number> {}
  const copy = clone([new MyMap([[1, 2]]), new MySet([1])]);
  assert.equal(Object.getPrototypeOf(copy[0]), Map.prototype);
  assert.equal(Object.getPrototypeOf(copy[1]), Set.prototype);
});

test('spec 30: Error: name is read with Get and picks the prototype; unknown names become "Error"', () => {
  const log: string[] = [];
  const e = new TypeError('m');
  delete e.stack; // V8 formats the stack lazily, reading name and message itself
  Object.defineProperty(e, 'name', {
    get() {
      log.push('name');
      return 'RangeError';
    },
  });
  const copy = clone(e);
  assert.deepEqual(log, ['name']);
  assert.equal(Object.getPrototypeOf(copy), RangeError.prototype);
  const odd = Object.assign(new TypeError('m'), { name: 'NotAStandardName' });
  assert.equal(Object.getPrototypeOf(clone(odd)), Error.prototype);
  assert.equal(Object.getPrototypeOf(clone(new AggregateError([], 'a'))), Error.prototype);
  class MyError extends URIError {}
  assert.equal(Object.getPrototypeOf(clone(new MyError('x'))), URIError.prototype);
});

test('spec 30: Error: name from a non-string is "Error"', () => {
  const e = new EvalError('m');
  Object.defineProperty(e, 'name', { value: { toString: () => 'TypeError' } });
  assert.equal(Object.getPrototypeOf(clone(e)), Error.prototype);
});

test('spec 30: Error: message is an own data property, ToString\'d; a getter is not read', () => {
  const plain = new Error('hello');
  const copy = clone(plain);
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy, 'message'), { value: 'hello', writable: true, enumerable: false, configurable: true });
  const numeric = new Error('x');
  numeric.message = 42 as unknown as string;
  assert.equal(clone(numeric).message, '42');
  let read = false;
  const getter = new Error('x');
  delete getter.stack; // V8 formats the stack lazily, reading message itself
  Object.defineProperty(getter, 'message', {
    get() {
      read = true;
      return 'g';
    },
  });
  const gCopy = clone(getter);
  assert.equal(read, false);
  assert.ok(!Object.hasOwn(gCopy, 'message'));
  assert.ok(!Object.hasOwn(clone(new Error()), 'message'));
});

test('spec 30: Error: a message whose ToString throws propagates that exception', () => {
  const e = new Error('x');
  const boom = new Error('boom');
  e.message = { toString: () => { throw boom; } } as unknown as string;
  assert.throws(() => clone(e), (x: unknown) => x === boom);
  const s = new Error('x');
  s.message = Symbol('m') as unknown as string;
  assert.throws(() => clone(s), TypeError);
});

test('spec 30: Error: other own properties are dropped; stack is carried', () => {
  const e = Object.assign(new Error('m'), { foo: 1 });
  const copy = clone(e);
  assert.ok(!Object.hasOwn(copy, 'foo'));
  assert.equal(copy.stack, e.stack);
  assert.equal(Object.getOwnPropertyDescriptor(copy, 'stack')?.enumerable, false);
  const noStack = new Error('n');
  delete noStack.stack;
  assert.equal(clone(noStack).stack, undefined);
});

test('spec 30: Error: an own cause is cloned (copy.cause === input.cause for a string; identity kept)', () => {
  const copy = clone(new Error('m', { cause: 'why' }));
  assert.equal(copy.cause, 'why');
  assert.equal(Object.getOwnPropertyDescriptor(copy, 'cause')?.enumerable, false);
  const shared = { s: 1 };
  const both = clone({ e: new Error('m', { cause: shared }), shared });
  assert.equal(both.e.cause, both.shared);
  const undef = new Error('m', { cause: undefined });
  assert.ok(Object.hasOwn(clone(undef), 'cause'));
  assert.ok(!Object.hasOwn(clone(new Error('m')), 'cause'));
  const self = new Error('self');
  self.cause = self;
  const selfCopy = clone(self);
  assert.equal(selfCopy.cause, selfCopy);
});

test('spec 30: Error: an accessor cause is not read (as V8)', () => {
  let read = false;
  const e = new Error('m');
  Object.defineProperty(e, 'cause', {
    get() {
      read = true;
      return 1;
    },
  });
  assert.ok(!Object.hasOwn(clone(e), 'cause'));
  assert.equal(read, false);
});

test('spec 30: Error: an error with a null prototype still has [[ErrorData]]', () => {
  const e = Object.setPrototypeOf(new TypeError('m'), null) as Error;
  const copy = clone(e);
  assert.ok(types.isNativeError(copy));
  assert.equal(Object.getPrototypeOf(copy), Error.prototype, 'name is undefined → "Error"');
});

test('spec 30: Array keeps its length, so holes stay holes', () => {
  const sparse = [1, , 3];
  const copy = clone({ sparse, empty: new Array(10) });
  assert.equal(copy.sparse.length, 3);
  assert.ok(!(1 in copy.sparse));
  assert.equal(copy.empty.length, 10);
  assert.deepEqual(Object.keys(copy.empty), []);
  const huge: unknown[] = [];
  huge[2 ** 32 - 2] = 'last';
  const hugeCopy = clone(huge);
  assert.equal(hugeCopy.length, 2 ** 32 - 1);
  assert.equal(hugeCopy[2 ** 32 - 2], 'last');
});

test('spec 30: Array copies enumerable non-index properties too', () => {
  const a = Object.assign([1, 2], { foo: 'bar' });
  Object.defineProperty(a, 'hidden', { value: 1, enumerable: false });
  const copy = clone(a);
  assert.equal((copy as unknown as { foo: string }).foo, 'bar');
  assert.ok(!Object.hasOwn(copy, 'hidden'));
  assert.deepEqual(Object.keys(copy), ['0', '1', 'foo']);
});

test('spec 30: Array: a non-enumerable element is skipped (index read order kept)', () => {
  const a = [1, 2, 3];
  Object.defineProperty(a, 1, { value: 2, enumerable: false });
  const copy = clone(a);
  assert.equal(copy.length, 3);
  assert.deepEqual(Object.keys(copy), ['0', '2']);
});

test('spec 30: Array: getters on elements run in order; a getter shortening the array leaves holes', () => {
  const log: number[] = [];
  const a = [0, 1, 2];
  Object.defineProperty(a, 0, {
    enumerable: true,
    configurable: true,
    get() {
      log.push(0);
      a.length = 1;
      return 'x';
    },
  });
  const copy = clone(a);
  assert.deepEqual(log, [0]);
  assert.equal(copy.length, 3);
  assert.deepEqual(Object.keys(copy), ['0']);
});

test('spec 30: Array: an element added by a getter into a hole is not copied (keys are snapshotted)', () => {
  const a: unknown[] = [];
  a.length = 3;
  Object.defineProperty(a, 0, {
    enumerable: true,
    get() {
      a[2] = 'late';
      return 'first';
    },
  });
  const copy = clone(a);
  assert.deepEqual(Object.keys(copy), ['0']);
});

test('spec 30: Blob comes back as a new Blob over the same bytes and type', async () => {
  const blob = new Blob(['héllo'], { type: 'text/plain' });
  const copy = clone(blob);
  assert.ok(copy instanceof Blob && copy !== blob);
  assert.equal(copy.type, 'text/plain');
  assert.equal(await copy.text(), 'héllo');
});

test('spec 30: File keeps name, type and lastModified; a File subclass comes back as File', async () => {
  class MyFile extends File {}
  const file = new MyFile(['abc'], 'a.txt', { type: 'text/x', lastModified: 42 });
  const copy = clone(file);
  assert.equal(Object.getPrototypeOf(copy), File.prototype);
  assert.equal(copy.name, 'a.txt');
  assert.equal(copy.type, 'text/x');
  assert.equal(copy.lastModified, 42);
  assert.equal(await copy.text(), 'abc');
});

test('spec 30: a Blob\'s own properties and a spoofed getter do not change what is read', async () => {
  const blob = new Blob(['z'], { type: 'a/b' });
  Object.defineProperty(blob, 'type', { value: 'spoofed' });
  const copy = clone(blob);
  assert.equal(copy.type, 'a/b');
  assert.equal(await copy.text(), 'z');
});

test('spec 30: DOMException keeps name and message (a subclass becomes DOMException)', () => {
  class MyException extends DOMException {}
  const copy = clone([new DOMException('msg', 'SyntaxError'), new MyException('m2', 'DataCloneError')]);
  assert.ok(copy[0] instanceof DOMException);
  assert.equal(copy[0]?.name, 'SyntaxError');
  assert.equal(copy[0]?.message, 'msg');
  assert.equal(copy[0]?.code, 12);
  assert.equal(Object.getPrototypeOf(copy[1]), DOMException.prototype);
  assert.equal(copy[1]?.name, 'DataCloneError');
});

test('spec 30: patched Map/Set methods and iterators do not change what is copied', () => {
  const m = new Map([[1, 'a']]);
  const s = new Set(['b']);
  const saved = [Map.prototype.forEach, Set.prototype.forEach, Map.prototype[Symbol.iterator], Set.prototype[Symbol.iterator]] as const;
  const boom = (): never => { throw new Error('patched'); };
  Map.prototype.forEach = boom;
  Set.prototype.forEach = boom;
  Map.prototype[Symbol.iterator] = boom;
  Set.prototype[Symbol.iterator] = boom;
  let copy: [Map<number, string>, Set<string>];
  try {
    copy = clone([m, s]) as [Map<number, string>, Set<string>];
  } finally {
    Map.prototype.forEach = saved[0];
    Set.prototype.forEach = saved[1];
    Map.prototype[Symbol.iterator] = saved[2];
    Set.prototype[Symbol.iterator] = saved[3];
  }
  assert.equal(copy[0].get(1), 'a');
  assert.ok(copy[1].has('b'));
});
