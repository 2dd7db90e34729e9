// decode(encode(v)) is exact: equal to structuredClone(v) for every kind the clone core handles,
// and the format's choices (strings, numbers, keys, shared buffers) behave as docs/protocol.md says.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { structuredSerializeWithTransfer } from '../../src/clone/index.ts';
import { decode, encode, encodeWithTransfer, WIRE_VERSION } from '../../src/wire.ts';
import { cloneDifference } from '../clone/differential-lib.ts';

function assertExact(value: unknown): unknown {
  const copy = decode(encode(value));
  const difference = cloneDifference(copy, structuredClone(value));
  assert.equal(difference, undefined, difference);
  return copy;
}

function isDataCloneError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'DataCloneError';
}

type Resizable = ArrayBuffer & { resize(n: number): void; resizable: boolean; maxByteLength: number };
const resizable = (n: number, max: number): Resizable =>
  new (ArrayBuffer as unknown as new (n: number, o: object) => Resizable)(n, { maxByteLength: max });

test('wire: the first byte is the version', () => {
  assert.equal(encode(null)[0], WIRE_VERSION);
});

test('wire: numbers keep -0, NaN, infinities, integers of every size and doubles', () => {
  for (const n of [0, -0, NaN, Infinity, -Infinity, 1, 127, 128, 2 ** 31, 2 ** 32 - 1, 2 ** 32, -1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 0.1, 5e-324, Number.MAX_VALUE]) {
    assert.ok(Object.is(decode(encode(n)), n), String(n));
  }
});

test('wire: BigInts of any size, both signs', () => {
  for (const b of [0n, 1n, -1n, 255n, 256n, -(2n ** 64n), 2n ** 64n - 1n, 12345678901234567890123456789n, -(7n ** 2000n), 2n ** 100_000n]) {
    assert.equal(decode(encode(b)), b);
  }
  assertExact(Object(-(2n ** 70n)));
});

test('wire: every string round-trips exactly, lone surrogates included, short and long', () => {
  const samples = ['', 'a', 'sensor-42', 'ü', '中文', '😀', 'a\ud800', '\udc00b', '\ud800\ud800', '\udbff\udfff', 'é'.repeat(100),
    '\ufeff', '\ufeffleading BOM', '\ufeff'.repeat(50), 'x'.repeat(30) + '\ufeff',
    'x'.repeat(1000) + '\ud800', '😀'.repeat(50), 'ascii '.repeat(10_000), '\u0000\u007f\u0080\u07ff\u0800\uffff'];
  for (const s of samples) assert.equal(decode(encode(s)), s, JSON.stringify(s.slice(0, 20)));
  for (let c = 0; c < 0x10000; c += 7) {
    const s = `k${String.fromCharCode(c)}${String.fromCharCode(0xffff - c)}`;
    assert.equal(decode(encode(s)), s);
  }
});

test('wire: ASCII strings cost one byte per character, lone-surrogate strings two', () => {
  assert.equal(encode('sensor-42').length, 2 + 1 + 9);
  assert.equal(encode('x'.repeat(63)).length, 2 + 1 + 63);
  assert.equal(encode('x'.repeat(64)).length, 2 + 2 + 64);
  for (const s of ['é'.repeat(31), 'é'.repeat(32), 'é'.repeat(42), '中'.repeat(42), 'x'.repeat(43)]) assert.equal(decode(encode(s)), s);
  assert.equal(encode('a\ud800').length, 1 + 1 + 2 + 4);
});

test('wire: holes and non-index properties of arrays', () => {
  const a: unknown[] & { extra?: string } = [1, , 3, , 5];
  a.extra = 'x';
  const sparse: unknown[] = [];
  sparse[1_000_000] = 'far';
  const copy = assertExact({ a, sparse, empty: [], holes: new Array(5) }) as { a: unknown[] };
  assert.equal(1 in copy.a, false);
  assert.equal(copy.a.length, 5);
});

test('wire: shared references and cycles come back shared', () => {
  const shared = { s: 1 };
  const o: Record<string, unknown> = { a: shared, b: shared, list: [shared] };
  o['self'] = o;
  const m = new Map<unknown, unknown>([[shared, o]]);
  const copy = assertExact({ o, m }) as { o: Record<string, unknown>; m: Map<unknown, unknown> };
  assert.equal(copy.o['a'], copy.o['b']);
  assert.equal(copy.o['self'], copy.o);
  assert.equal(copy.m.get(copy.o['a']), copy.o);
});

test('wire: views sharing a buffer still share it; offsets; resizable and length-tracking buffers', () => {
  const buffer = new ArrayBuffer(32);
  new Uint8Array(buffer).forEach((_, i, a) => { a[i] = i; });
  const r = resizable(16, 64);
  const value = {
    a: new Uint8Array(buffer, 3, 5), b: new Float64Array(buffer, 8, 2), c: new DataView(buffer, 1, 7), buffer,
    tracking: new Int32Array(r), fixedOnResizable: new Uint16Array(r, 2, 3), trackingDv: new DataView(r, 4), r,
    big: new BigInt64Array([1n, -1n]), f64: new Float64Array([-0, NaN, 1.5]),
  };
  const copy = assertExact(value) as typeof value;
  assert.equal(copy.a.buffer, copy.b.buffer);
  assert.equal(copy.a.buffer, copy.buffer);
  assert.equal(copy.a.byteOffset, 3);
  const cr = copy.r as Resizable;
  assert.equal(cr.maxByteLength, 64);
  cr.resize(40);
  assert.equal(copy.tracking.length, 10);
  assert.equal(copy.fixedOnResizable.length, 3);
});

test('wire: decoded typed arrays own their bytes, never views into the input', () => {
  const bytes = encode(new Float64Array([1, 2, 3]));
  const copy = decode(bytes) as Float64Array;
  assert.notEqual(copy.buffer, bytes.buffer);
  assert.equal(copy.buffer.byteLength, 24);
  bytes.fill(0);
  assert.deepEqual([...copy], [1, 2, 3]);
});

test('wire: Error type, message, cause (cyclic too) and stack', () => {
  const e = new RangeError('out', { cause: new TypeError('inner') });
  const noMessage = new SyntaxError();
  const custom = new Error('named');
  custom.name = 'Custom';
  const copy = assertExact({ e, noMessage, custom }) as Record<string, Error>;
  assert.ok(copy['e'] instanceof RangeError);
  assert.equal(copy['e']?.stack, e.stack);
  // Node's own structuredClone cannot deserialize an Error that is its own cause; ours can.
  const cyclic = new Error('loop');
  cyclic.cause = cyclic;
  const back = decode(encode(cyclic)) as Error;
  assert.equal(back.cause, back);
  assert.equal(Object.hasOwn(copy['noMessage'] as Error, 'message'), false);
  assert.equal(copy['custom']?.name, 'Error');
});

test('wire: boxed primitives, RegExp, Dates (invalid too), Map and Set order, DOMException', () => {
  const copy = assertExact({
    b: Object(true), n: Object(-0), s: Object('a\ud800'), big: Object(1n), re: /a+(?<x>b)/dgimsuy, re2: new RegExp('\\/', 'v'),
    d: new Date(1.5e12), invalid: new Date(NaN), m: new Map<unknown, unknown>([[3, 'c'], ['a', 1], [NaN, -0]]), set: new Set(['z', 1, 'a']),
  }) as { m: Map<unknown, unknown> };
  assert.deepEqual([...copy.m.keys()], [3, 'a', NaN]);
  const dom = decode(encode(new DOMException('msg', 'DataCloneError'))) as DOMException;
  assert.ok(dom instanceof DOMException);
  assert.equal(dom.name, 'DataCloneError');
  assert.equal(dom.code, 25);
});

test('wire: __proto__ and constructor keys come back as own data properties; no prototype changes', () => {
  const o = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "a": [1]}');
  const copy = assertExact(o) as Record<string, unknown>;
  assert.ok(Object.hasOwn(copy, '__proto__'));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.ok(Object.hasOwn(copy, 'constructor'));
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  const a = JSON.parse('[1]');
  Object.defineProperty(a, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
  const ac = decode(encode(a)) as unknown[];
  assert.ok(Object.hasOwn(ac, '__proto__'));
  assert.equal(Object.getPrototypeOf(ac), Array.prototype);
});

test('wire: integer-looking keys and repeated keys', () => {
  assertExact({ 0: 'a', 1: 'b', 4294967294: 'max index', 4294967295: 'not an index', '01': 'leading zero', '-1': 'neg', '1e3': 'exp' });
  const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `n${i}`, ok: i % 2 === 0 }));
  assertExact(rows);
  // Keys repeat as key references: 50 rows cost far less than 50 times the first.
  const one = encode([rows[0]]).length;
  assert.ok(encode(rows).length < 50 * (one - 8), `${encode(rows).length} vs ${one} for one row`);
});

test('wire: deep nesting beyond the call stack encodes and decodes', () => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 20_000; i++) deep = i % 2 === 0 ? [deep] : { d: deep };
  const copy = decode(encode(deep), { maxDepth: 30_000 });
  let d = copy;
  let levels = 0;
  while (typeof d === 'object' && d !== null) {
    d = Array.isArray(d) ? d[0] : (d as { d: unknown }).d;
    levels++;
  }
  assert.equal(levels, 20_000);
  assert.equal(d, 'bottom');
});

test('wire: a chain of 20,000 Error causes encodes (from the value and from records) and decodes; past maxDepth, ENTANGLE_WIRE_LIMIT', () => {
  let error = new Error('root');
  for (let i = 0; i < 20_000; i++) error = new RangeError(`e${i}`, { cause: error });
  const causes = (value: unknown): number => {
    let n = 0;
    for (let e = value; e instanceof Error && 'cause' in e; e = e.cause) n++;
    return n;
  };
  for (const bytes of [encode(error), encodeWithTransfer(structuredSerializeWithTransfer(error, []), () => { throw new Error('no platform objects here'); })]) {
    const copy = decode(bytes, { maxDepth: 30_000 });
    assert.equal(causes(copy), 20_000);
    assert.equal((copy as Error).message, 'e19999');
    assert.throws(() => decode(bytes), (e: unknown) => (e as { code?: string }).code === 'ENTANGLE_WIRE_LIMIT');
  }
});

test('wire: functions, symbols and other non-cloneables throw DataCloneError', () => {
  for (const bad of [() => 1, Symbol('s'), new WeakMap(), Promise.resolve(), { f() {} }, [Symbol.iterator]]) {
    assert.throws(() => encode(bad), isDataCloneError);
  }
});

test('wire: Blob, File and SharedArrayBuffer are refused with DataCloneError', () => {
  assert.throws(() => encode(new Blob(['x'])), (e: unknown) => isDataCloneError(e) && /Blob/.test((e as Error).message));
  assert.throws(() => encode({ f: new File(['x'], 'f.txt') }), (e: unknown) => isDataCloneError(e) && /File/.test((e as Error).message));
  assert.throws(() => encode(new SharedArrayBuffer(8)), isDataCloneError);
  assert.throws(() => encode(new Uint8Array(new SharedArrayBuffer(8))), isDataCloneError);
});

test('wire: an encoding failure leaves the encoder usable', () => {
  assert.throws(() => encode({ a: 'x'.repeat(50), f: () => 1 }), isDataCloneError);
  assert.deepEqual(decode(encode({ ok: [1, 2] })), { ok: [1, 2] });
});

test('wire: consecutive encodings do not overwrite each other', () => {
  const first = encode({ n: 1, s: 'first' });
  const second = encode({ n: 2, s: 'second' });
  assert.deepEqual(decode(first), { n: 1, s: 'first' });
  assert.deepEqual(decode(second), { n: 2, s: 'second' });
});

// encode() runs the clone layer's serialization walk straight into bytes: getters run in the
// spec's order, in the middle of writing, and the bytes must still say exactly what happened.

test('wire: a getter deleting later properties leaves them out, as structuredClone does', () => {
  const make = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    Object.defineProperty(o, 'a', { enumerable: true, get: () => { delete o['b']; return 1; } });
    o['b'] = 2;
    o['c'] = 3;
    return o;
  };
  assert.deepEqual(decode(encode(make())), structuredClone(make()));
  // More keys than one count byte holds, most deleted: the count shrinks below its reserved width.
  const many = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    Object.defineProperty(o, 'first', { enumerable: true, get: () => { for (let i = 0; i < 150; i++) delete o[`k${i}`]; return 0; } });
    for (let i = 0; i < 200; i++) o[`k${i}`] = i;
    return o;
  };
  const copy = decode(encode(many())) as object;
  assert.equal(cloneDifference(copy, structuredClone(many())), undefined);
  assert.equal(Object.keys(copy).length, 51);
});

test('wire: a getter deleting a later element of a dense array makes a hole, as structuredClone does', () => {
  const make = (): unknown[] => {
    const a: unknown[] = [0, 1, 2, 3];
    Object.defineProperty(a, 0, { enumerable: true, get: () => { delete a[2]; a.length = 3; return 'first'; } });
    return a;
  };
  const copy = decode(encode(make())) as unknown[];
  assert.equal(cloneDifference(copy, structuredClone(make())), undefined);
  assert.equal(copy.length, 4); // [[Length]] as it was before the getter ran
  assert.equal(2 in copy, false);
  assert.equal(3 in copy, false);
});

test('wire: a getter may itself encode while its object is being encoded', () => {
  const inner = { deep: [1, { x: 'y' }], when: new Date(3) };
  const outer = {
    before: 'b'.repeat(100),
    get nested() { return decode(encode(inner)); },
    after: [1, 2, 3],
  };
  assert.deepEqual(decode(encode(outer)), { before: 'b'.repeat(100), nested: inner, after: [1, 2, 3] });
});

test('wire: a message that outgrows the output chunk after earlier messages stays intact', () => {
  for (let i = 0; i < 3; i++) encode({ warm: i, text: 'x'.repeat(3000) });
  const big = { list: [{ a: 'y'.repeat(40_000), b: 1 }, { c: 'z'.repeat(40_000) }], n: 5 };
  assert.deepEqual(decode(encode(big)), big);
  let deep: unknown = 'end';
  for (let i = 0; i < 300; i++) deep = [deep, 'pad'.repeat(30)];
  assertExact(deep);
});

test('wire: many distinct short keys across messages (the decoder key cache) come back exact', () => {
  for (let round = 0; round < 3; round++) {
    const o: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) o[`k${(i * 7919 + round) % 10007}`] = i;
    o['é'] = 1;
    o['ab'] = 2;
    o['ba'] = 3;
    assertExact(o);
  }
});
