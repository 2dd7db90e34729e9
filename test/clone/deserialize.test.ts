// Checklist item 31: StructuredDeserializeWithTransfer and StructuredDeserialize.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { types } from 'node:util';
import { EntangleError } from '../../src/errors.ts';
import {
  structuredDeserialize, structuredDeserializeWithTransfer, structuredSerialize, structuredSerializeWithTransfer,
  type ObjectRecord, type Serialized, type SerializedWithTransfer,
} from '../../src/clone/index.ts';
import { assertDataCloneError, bufferInfo, clone, FakePort, resizableBuffer } from './helpers.ts';

test('spec 31: transfer data holders become values first, in order, and are the TransferredValues', () => {
  const order: string[] = [];
  const port = new FakePort(['q']);
  const ab = new Uint8Array([5]).buffer;
  const result = structuredSerializeWithTransfer({ ab, port }, [port, ab]);
  const received = structuredDeserializeWithTransfer(result);
  order.push('done');
  const value = received.deserialized as { ab: ArrayBuffer; port: FakePort };
  assert.equal(received.transferredValues[0], value.port);
  assert.equal(received.transferredValues[1], value.ab);
  assert.ok(value.port instanceof FakePort && value.port !== port);
  assert.deepEqual(value.port.queue, ['q']);
});

test('spec 31: an ArrayBuffer holder\'s data block is used as is (zero-copy)', () => {
  const ab = new ArrayBuffer(4);
  const result = structuredSerializeWithTransfer(ab, [ab]);
  const holder = result.transferDataHolders[0];
  const { deserialized } = structuredDeserializeWithTransfer(result);
  assert.ok(holder?.type === 'ArrayBuffer' && holder.data === deserialized);
});

test('spec 31: a ResizableArrayBuffer holder gives a resizable buffer with its maxByteLength', () => {
  const result: SerializedWithTransfer = {
    serialized: { type: 'Transferred', index: 0 },
    transferDataHolders: [{ type: 'ResizableArrayBuffer', data: new Uint8Array([1, 2]).buffer, maxByteLength: 8 }],
  };
  const buffer = structuredDeserializeWithTransfer(result).deserialized as ArrayBuffer;
  assert.deepEqual(bufferInfo(buffer), { byteLength: 2, resizable: true, maxByteLength: 8 });
  assert.deepEqual([...new Uint8Array(buffer)], [1, 2]);
  const rab = resizableBuffer(1, 8);
  const reused = structuredDeserializeWithTransfer({ ...result, transferDataHolders: [{ type: 'ResizableArrayBuffer', data: rab, maxByteLength: 8 }] });
  assert.equal(reused.deserialized, rab, 'already resizable with the right max: reused');
});

test('spec 31: a platform holder whose interface is not exposed here → DataCloneError', () => {
  assertDataCloneError(() => structuredDeserializeWithTransfer({
    serialized: null,
    transferDataHolders: [{ type: 'platform', interfaceName: 'NoSuchInterface', state: {} }],
  }));
});

test('spec 31: a malformed record → EntangleError ENTANGLE_DESERIALIZE_FAILED', () => {
  const bad = [
    { type: 'Nonsense' },
    { type: 'Transferred', index: 3 },
    { type: 'Object', properties: [['a', { type: 'Mystery' }]] },
  ] as unknown as Serialized[];
  for (const record of bad) {
    assert.throws(() => structuredDeserialize(record), (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_DESERIALIZE_FAILED');
  }
  assert.throws(
    () => structuredDeserializeWithTransfer({ serialized: null, transferDataHolders: [{ type: 'bogus' } as never] }),
    (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_DESERIALIZE_FAILED',
  );
});

test('spec 31: a primitive record is the primitive', () => {
  for (const v of [undefined, null, -0, NaN, 'x', 10n, false]) assert.ok(Object.is(structuredDeserialize(v), v));
});

test('spec 31: objects are made from intrinsics: an interface deleted from the global still deserializes', () => {
  const record = structuredSerialize({
    m: new Map([[1, 2]]), s: new Set([1]), d: new Date(3), e: new TypeError('t'), r: /x/g, a: [1], b: new Blob(['b']),
    f: new File(['f'], 'f'), x: new DOMException('m', 'SyntaxError'), u: new Uint16Array(2), n: Object(1),
  });
  const G = globalThis as unknown as Record<string, unknown>;
  const { defineProperty, getOwnPropertyDescriptor } = Object;
  const names = ['Map', 'Set', 'Date', 'TypeError', 'RegExp', 'Array', 'Blob', 'File', 'DOMException', 'Uint16Array', 'Object', 'Error'];
  const saved = names.map((n) => getOwnPropertyDescriptor(G, n) as PropertyDescriptor);
  for (const n of names) delete G[n];
  let value: Record<string, unknown>;
  try {
    value = structuredDeserialize(record) as Record<string, unknown>;
  } finally {
    for (let i = 0; i < names.length; i++) defineProperty(G, names[i] as string, saved[i] as PropertyDescriptor);
  }
  assert.ok(value['m'] instanceof Map && value['s'] instanceof Set && value['d'] instanceof Date);
  assert.ok(value['e'] instanceof TypeError && value['r'] instanceof RegExp && Array.isArray(value['a']));
  assert.ok(value['b'] instanceof Blob && value['f'] instanceof File && value['x'] instanceof DOMException);
  assert.ok(value['u'] instanceof Uint16Array && value['n'] instanceof Number);
});

test('spec 31: patched prototypes do not change deserialization (Map.prototype.set, Set.prototype.add)', () => {
  const record = structuredSerialize([new Map([[1, 2]]), new Set([3])]);
  const mapSet = Map.prototype.set;
  const setAdd = Set.prototype.add;
  Map.prototype.set = () => { throw new Error('patched'); };
  Set.prototype.add = () => { throw new Error('patched'); };
  let value: [Map<number, number>, Set<number>];
  try {
    value = structuredDeserialize(record) as [Map<number, number>, Set<number>];
  } finally {
    Map.prototype.set = mapSet;
    Set.prototype.add = setAdd;
  }
  assert.equal(value[0].get(1), 2);
  assert.ok(value[1].has(3));
});

test('spec 31: properties are created as data properties: a setter on Object.prototype is not called', () => {
  let called = false;
  const array = [1];
  Object.defineProperty(array, 'trap', { value: 2, enumerable: true });
  const records = [structuredSerialize({ trap: 1 }), structuredSerialize(array)];
  Object.defineProperty(Object.prototype, 'trap', {
    configurable: true,
    set() { called = true; },
    get() { return 'inherited'; },
  });
  try {
    const copy = structuredDeserialize(records[0]) as Record<string, unknown>;
    const arrCopy = structuredDeserialize(records[1]) as Record<string, unknown>;
    assert.equal(called, false);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, 'trap'), { value: 1, writable: true, enumerable: true, configurable: true });
    assert.equal(Object.getOwnPropertyDescriptor(arrCopy, 'trap')?.value, 2);
  } finally {
    delete (Object.prototype as Record<string, unknown>)['trap'];
  }
});

test('spec 31: an index setter on Array.prototype is not called while creating elements', () => {
  let called = false;
  const record = structuredSerialize([0, 1, 2]);
  Object.defineProperty(Array.prototype, 1, { configurable: true, set() { called = true; }, get() { return 'inherited'; } });
  try {
    const copy = structuredDeserialize(record) as number[];
    assert.equal(called, false);
    assert.ok(Object.hasOwn(copy, 1));
    assert.equal(copy[1], 1);
  } finally {
    delete (Array.prototype as unknown as Record<number, unknown>)[1];
  }
});

test('spec 31: an Array is created with ArrayCreate(length): holes stay holes', () => {
  const record: ObjectRecord = { type: 'Array', length: 5, properties: [['3', 'x'], ['extra', true]] };
  const value = structuredDeserialize(record) as unknown[] & { extra?: boolean };
  assert.equal(value.length, 5);
  assert.deepEqual(Object.keys(value), ['3', 'extra']);
});

test('spec 31: an Error is a real error ([[ErrorData]]) with a non-enumerable own message', () => {
  const value = structuredDeserialize({ type: 'Error', name: 'SyntaxError', message: 'm', hasCause: true, cause: 1 }) as Error;
  assert.ok(types.isNativeError(value));
  assert.equal(Object.prototype.toString.call(value), '[object Error]');
  assert.equal(Object.getPrototypeOf(value), SyntaxError.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, 'message'), { value: 'm', writable: true, enumerable: false, configurable: true });
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, 'cause'), { value: 1, writable: true, enumerable: false, configurable: true });
  assert.ok(!Object.hasOwn(value, 'stack'), 'no stack in the record: none invented');
  const cloned = clone(value);
  assert.ok(cloned instanceof SyntaxError, 'a deserialized error can be cloned again');
});

test('spec 31: Error.stackTraceLimit is left as it was', () => {
  const before = Error.stackTraceLimit;
  structuredDeserialize({ type: 'Error', name: 'Error', hasCause: false });
  assert.equal(Error.stackTraceLimit, before);
});

test('spec 31: a Blob or File record deserializes to a new object each time', () => {
  const record = structuredSerialize(new Blob(['x']));
  const a = structuredDeserialize(record);
  const b = structuredDeserialize(record);
  assert.ok(a instanceof Blob && b instanceof Blob && a !== b);
});

test('spec 31: a view record over a Transferred record views the transferred buffer', () => {
  const result: SerializedWithTransfer = {
    serialized: { type: 'ArrayBufferView', constructor: 'Uint8Array', buffer: { type: 'Transferred', index: 0 }, byteOffset: 1, length: 2 },
    transferDataHolders: [{ type: 'ArrayBuffer', data: new Uint8Array([9, 8, 7, 6]).buffer }],
  };
  const { deserialized, transferredValues } = structuredDeserializeWithTransfer(result);
  const view = deserialized as Uint8Array;
  assert.equal(view.buffer, transferredValues[0]);
  assert.deepEqual([...view], [8, 7]);
});
