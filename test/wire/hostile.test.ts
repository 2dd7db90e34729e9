// decode() on hostile bytes: every failure is an EntangleError with a stable code, checked before
// anything is allocated; limits are options with defaults; nothing shared is modified.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, decodeWithTransfer, DEFAULT_LIMITS, encode, EntangleError } from '../../src/wire.ts';

/** Version 1, no holders, then the value bytes. */
const msg = (...value: number[]): Uint8Array => Uint8Array.of(1, 0, ...value);

function assertCode(bytes: Uint8Array, code: string, limits?: Parameters<typeof decode>[1]): void {
  assert.throws(() => decode(bytes, limits), (error: unknown) => {
    assert.ok(error instanceof EntangleError, `expected an EntangleError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('wire hostile: empty input and cut-off values are ENTANGLE_WIRE_TRUNCATED', () => {
  assertCode(new Uint8Array(0), 'ENTANGLE_WIRE_TRUNCATED');
  assertCode(Uint8Array.of(1), 'ENTANGLE_WIRE_TRUNCATED');
  const full = encode({ name: 'sensor-42', tags: ['alpha', 'beta'], d: new Date(0) });
  for (let n = 1; n < full.length; n++) assertCode(full.subarray(0, n), 'ENTANGLE_WIRE_TRUNCATED');
});

test('wire hostile: an unknown version byte is ENTANGLE_WIRE_VERSION', () => {
  assertCode(Uint8Array.of(0, 0, 1), 'ENTANGLE_WIRE_VERSION');
  assertCode(Uint8Array.of(2, 0, 1), 'ENTANGLE_WIRE_VERSION');
});

test('wire hostile: unassigned tags are ENTANGLE_WIRE_UNKNOWN_TAG', () => {
  for (const tag of [0x0d, 0x0f, 0x24, 0x3f]) assertCode(msg(tag), 'ENTANGLE_WIRE_UNKNOWN_TAG');
});

test('wire hostile: a length claiming 4 GiB fails before allocating', () => {
  const huge = [0x80, 0x80, 0x80, 0x80, 0x10]; // 4 GiB as a varint
  for (const tag of [0x09, 0x0a, 0x1d, 0x10, 0x11, 0x1a, 0x1b, 0x07]) {
    assert.throws(() => decode(msg(tag, ...huge)), (e: unknown) =>
      e instanceof EntangleError && (e.code === 'ENTANGLE_WIRE_TRUNCATED' || e.code === 'ENTANGLE_WIRE_LIMIT'));
  }
  // A resizable buffer whose maxByteLength would reserve 4 GiB.
  assertCode(msg(0x1e, 0, ...huge), 'ENTANGLE_WIRE_LIMIT');
  // A sparse array of length 2^32 - 1 is fine (nothing allocated per index); 2^32 is not an array length.
  assert.equal((decode(msg(0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0)) as unknown[]).length, 2 ** 32 - 1);
  assertCode(msg(0x12, ...huge, 0), 'ENTANGLE_WIRE_MALFORMED');
  // Varints past 2^53 or longer than 8 bytes.
  assertCode(msg(0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 'ENTANGLE_WIRE_MALFORMED');
  assertCode(msg(0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 'ENTANGLE_WIRE_MALFORMED');
});

test('wire hostile: each limit is enforced, with defaults documented', () => {
  assert.deepEqual(Object.keys(DEFAULT_LIMITS).sort(),
    ['maxBytes', 'maxDepth', 'maxElements', 'maxResizableByteLength', 'maxStringLength', 'maxTransferables']);
  assertCode(encode('x'.repeat(100)), 'ENTANGLE_WIRE_LIMIT', { maxBytes: 50 });
  assertCode(encode([[[[1]]]]), 'ENTANGLE_WIRE_LIMIT', { maxDepth: 3 });
  assert.deepEqual(decode(encode([[[[1]]]]), { maxDepth: 4 }), [[[[1]]]]);
  assertCode(encode([1, 2, 3, 4, 5]), 'ENTANGLE_WIRE_LIMIT', { maxElements: 5 });
  assertCode(encode('x'.repeat(100)), 'ENTANGLE_WIRE_LIMIT', { maxStringLength: 99 });
  assertCode(encode(new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(1, { maxByteLength: 1000 })), 'ENTANGLE_WIRE_LIMIT', { maxResizableByteLength: 999 });
  // Default depth: 10,000.
  let deep: unknown = 0;
  for (let i = 0; i < 10_001; i++) deep = [deep];
  assertCode(encode(deep), 'ENTANGLE_WIRE_LIMIT');
  assert.throws(() => decode(encode(1), { maxDepth: -1 }), TypeError);
});

test('wire hostile: the transferables limit and holder tables in plain decode()', () => {
  const holders = [1, 3, ...Array(3).fill([0, 1, 7]).flat(), 0x01];
  assert.throws(() => decodeWithTransfer(Uint8Array.from(holders), () => null, { maxTransferables: 2 }),
    (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_WIRE_LIMIT');
  assertCode(Uint8Array.from(holders), 'ENTANGLE_WIRE_MALFORMED');
});

test('wire hostile: impossible references and records are ENTANGLE_WIRE_MALFORMED', () => {
  const cases: number[][] = [
    [0x13, 0], // back-reference before any object
    [0x10, 1, 0x0b, 0, 0x00], // key reference before any key
    [0x10, 1, 0x10, 0, 0x00], // an object as a key
    [0x0b, 0], // key reference as a value
    [0x21, 0], // transferred value without holders
    [0x15, 0x09, 1, 0x28, 0x09, 0], // RegExp "(" : a SyntaxError if deserialized
    [0x15, 0x09, 1, 0x61, 0x09, 2, 0x67, 0x67], // RegExp flags "gg"
    [0x1f, 9, 0, 2, 0x1d, 4, 0, 0, 0, 0], // Float64Array of 1 over 4 bytes
    [0x1f, 3, 1, 1, 0x1d, 4, 0, 0, 0, 0], // Int16Array at an odd offset
    [0x1f, 1, 0, 0, 0x1d, 4, 0, 0, 0, 0], // length-tracking view over a fixed buffer
    [0x1f, 1, 0, 1, 0x10, 0], // a view over an object
    [0x1f, 1, 0, 1, 0x13, 0], // a view over itself
    [0x1f, 13, 0, 1, 0x1d, 0], // unknown view constructor
    [0x1c, 9, 0], // unknown Error name
    [0x1c, 0, 8], // unknown Error flags
    [0x16, 2], // Boolean object byte 2
    [0x18, 0x09, 0], // BigInt object holding a string
    [0x12, 2, 1, 0x09, 6, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68, 0x01], // array property "length"
    [0x11, 0, 0], // dense array of length 0
    [0x01, 0x01], // trailing bytes
    [0x1e, 4, 2, 0, 0, 0, 0], // maxByteLength below byteLength
    [0x0c], // a hole outside a dense array
    [0x10, 1, 0x40, 0x0c], // a hole as a property value
    [0x12, 2, 1, 0x0c, 0x01], // a hole as a sparse array's property
  ];
  for (const value of cases) assertCode(msg(...value), 'ENTANGLE_WIRE_MALFORMED');
});

test('wire hostile: a constructor this runtime lacks is ENTANGLE_WIRE_UNSUPPORTED', () => {
  if (typeof (globalThis as { Float16Array?: unknown }).Float16Array !== 'function') {
    assertCode(msg(0x1f, 7, 0, 2, 0x1d, 2, 0, 0), 'ENTANGLE_WIRE_UNSUPPORTED');
  }
});

test('wire hostile: __proto__ keys never reach Object.prototype; prototypes are untouched', () => {
  const before = Reflect.ownKeys(Object.prototype).length;
  // {"__proto__": {"polluted": 1}} and an array with "__proto__" / "constructor" properties.
  const proto = [0x09, 9, ...Buffer.from('__proto__')];
  const value = decode(msg(0x10, 1, ...proto, 0x10, 1, 0x09, 8, ...Buffer.from('polluted'), 0x81)) as Record<string, unknown>;
  assert.ok(Object.hasOwn(value, '__proto__'));
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  const array = decode(msg(0x12, 0, 2, ...proto, 0x81, 0x09, 11, ...Buffer.from('constructor'), 0x81)) as unknown[];
  assert.ok(Object.hasOwn(array, '__proto__') && Object.hasOwn(array, 'constructor'));
  assert.equal(Object.getPrototypeOf(array), Array.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(Reflect.ownKeys(Object.prototype).length, before);
});

test('wire hostile: decode() wants a Uint8Array', () => {
  assert.throws(() => decode('bytes' as never), TypeError);
});

test('wire hostile: an array index at or past the array length is ENTANGLE_WIRE_MALFORMED (it would change the length)', () => {
  const five = [0x09, 1, 0x35]; // the key "5" as a string
  for (const value of [
    [0x12, 3, 1, 0x85, 0x01], // sparse, length 3, integer key 5
    [0x12, 3, 1, 0x83, 0x01], // integer key 3 = the length
    [0x12, 3, 1, ...five, 0x01], // the same index as a string key
    [0x12, 0, 1, 0x80, 0x01], // any index of an empty array
    [0x12, 3, 1, 0x04, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01], // the largest index, 2^32 - 2
    [0x11, 1, 1, 0x01, 0x80, 0x01], // a dense array's extra property that is an element index
    [0x11, 1, 1, 0x01, ...five, 0x01], // … or an index past its length
  ]) {
    assertCode(msg(...value), 'ENTANGLE_WIRE_MALFORMED');
  }
  // Keys that only look like indices are properties: "05", "4294967295" (2^32 - 1 is no index).
  const array = decode(msg(0x12, 3, 2, 0x09, 2, 0x30, 0x35, 0x01, 0x09, 10, ...Buffer.from('4294967295'), 0x02)) as unknown[];
  assert.equal(array.length, 3);
  assert.deepEqual(Object.keys(array), ['05', '4294967295']);
  // An index below the length is an element.
  assert.deepEqual(decode(msg(0x12, 3, 1, 0x82, 0x81)), [, , 1]);
});

test('wire hostile: holes in a dense array stay holes', () => {
  const array = decode(msg(0x11, 3, 0, 0x81, 0x0c, 0x83)) as unknown[];
  assert.equal(array.length, 3);
  assert.equal(1 in array, false);
  assert.deepEqual(array, [1, , 3]);
});
