// Checklist item 30 for ArrayBuffer, SharedArrayBuffer and ArrayBufferView, and the buffer helpers
// (IsDetachedBuffer, DetachArrayBuffer, out-of-bounds and length-tracking views).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detachArrayBuffer, isDetachedBuffer, structuredSerializeInternal } from '../../src/clone/index.ts';
import { assertDataCloneError, bufferInfo, clone, growableSharedBuffer, resizableBuffer } from './helpers.ts';

function detached(): ArrayBuffer {
  const ab = new ArrayBuffer(8);
  detachArrayBuffer(ab);
  return ab;
}

test('isDetachedBuffer: an empty live buffer, an empty resizable buffer and a detached one', () => {
  assert.equal(isDetachedBuffer(new ArrayBuffer(0)), false);
  assert.equal(isDetachedBuffer(resizableBuffer(0, 8)), false);
  assert.equal(isDetachedBuffer(new ArrayBuffer(3)), false);
  assert.equal(isDetachedBuffer(detached()), true);
});

test('detachArrayBuffer: the original is detached, the result owns the bytes and keeps resizability', () => {
  const ab = new Uint8Array([1, 2, 3]).buffer;
  const moved = detachArrayBuffer(ab);
  assert.ok(isDetachedBuffer(ab));
  assert.deepEqual([...new Uint8Array(moved)], [1, 2, 3]);
  const rab = resizableBuffer(2, 10);
  const movedRab = detachArrayBuffer(rab);
  assert.deepEqual(bufferInfo(movedRab), { byteLength: 2, resizable: true, maxByteLength: 10 });
});

test('spec 30: an ArrayBuffer is copied: later writes to either side are not shared', () => {
  const ab = new Uint8Array([1, 2, 3]).buffer;
  const copy = clone(ab);
  new Uint8Array(ab)[0] = 9;
  assert.deepEqual([...new Uint8Array(copy)], [1, 2, 3]);
  assert.equal(bufferInfo(copy).resizable, false);
});

test('spec 30: a detached ArrayBuffer → DataCloneError', () => {
  assertDataCloneError(() => clone(detached()));
  assertDataCloneError(() => clone({ a: [detached()] }));
});

test('spec 30: a resizable ArrayBuffer keeps resizable and maxByteLength', () => {
  const rab = resizableBuffer(3, 64);
  new Uint8Array(rab).set([4, 5, 6]);
  const copy = clone(rab);
  assert.deepEqual(bufferInfo(copy), { byteLength: 3, resizable: true, maxByteLength: 64 });
  assert.deepEqual([...new Uint8Array(copy)], [4, 5, 6]);
});

test('spec 30: a SharedArrayBuffer is shared: a new object over the same memory (growable kept)', () => {
  const sab = new SharedArrayBuffer(4);
  const copy = clone(sab);
  assert.notEqual(copy, sab);
  new Uint8Array(sab)[0] = 42;
  assert.equal(new Uint8Array(copy)[0], 42);
  const growable = growableSharedBuffer(4, 16);
  const gCopy = clone(growable) as typeof growable;
  assert.equal(gCopy.growable, true);
  assert.equal(gCopy.maxByteLength, 16);
});

test('spec 30: a SharedArrayBuffer for storage → DataCloneError', () => {
  assertDataCloneError(() => structuredSerializeInternal(new SharedArrayBuffer(1), true, new Map()));
});

test('spec 30: every TypedArray type and DataView round-trips with its type, offset and length', () => {
  const ab = new ArrayBuffer(64);
  new Uint8Array(ab).forEach((_, i, a) => { a[i] = i * 7; });
  const views = [
    new Int8Array(ab, 1, 3), new Uint8Array(ab, 2, 4), new Uint8ClampedArray(ab, 3, 2), new Int16Array(ab, 2, 3),
    new Uint16Array(ab, 4, 2), new Int32Array(ab, 4, 2), new Uint32Array(ab, 8, 1), new Float32Array(ab, 12, 2),
    new Float64Array(ab, 8, 3), new BigInt64Array(ab, 16, 2), new BigUint64Array(ab, 24, 1), new DataView(ab, 5, 9),
  ];
  const copy = clone(views);
  views.forEach((v, i) => {
    const c = copy[i] as typeof v;
    assert.equal(Object.getPrototypeOf(c), Object.getPrototypeOf(v));
    assert.equal(c.byteOffset, v.byteOffset);
    assert.equal(c.byteLength, v.byteLength);
    assert.deepEqual(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), new Uint8Array(ab, v.byteOffset, v.byteLength));
  });
  assert.ok(copy.every((v) => v.buffer === copy[0]?.buffer), 'all views share one cloned buffer');
  assert.equal(copy[0]?.buffer.byteLength, 64, 'the whole buffer is copied');
});

test('spec 30: a Node Buffer clones as a Uint8Array', () => {
  const copy = clone(Buffer.from('hi'));
  assert.equal(Object.getPrototypeOf(copy), Uint8Array.prototype);
  assert.deepEqual([...copy], [104, 105]);
});

test('spec 30: two views of one buffer share one buffer after the clone', () => {
  const ab = new ArrayBuffer(8);
  const copy = clone({ a: new Uint8Array(ab), b: new DataView(ab, 4), ab });
  assert.equal(copy.a.buffer, copy.ab);
  assert.equal(copy.b.buffer, copy.ab);
  copy.b.setUint8(0, 99);
  assert.equal(copy.a[4], 99);
});

test('spec 30: an out-of-bounds view → DataCloneError (typed array and DataView)', () => {
  const rab = resizableBuffer(16, 32);
  const ta = new Uint32Array(rab, 8, 2);
  const dv = new DataView(rab, 4, 8);
  const tracking = new Uint8Array(rab, 12);
  rab.resize(10);
  assertDataCloneError(() => clone(ta));
  assertDataCloneError(() => clone(dv));
  assertDataCloneError(() => clone(tracking), 'a tracking view whose offset is past the end');
});

test('spec 30: a view over a detached buffer → DataCloneError', () => {
  const ab = new ArrayBuffer(8);
  const ta = new Float64Array(ab);
  const dv = new DataView(ab);
  detachArrayBuffer(ab);
  assertDataCloneError(() => clone(ta));
  assertDataCloneError(() => clone(dv));
});

test('spec 30: an empty view at the end of a buffer is in bounds', () => {
  const ab = new ArrayBuffer(8);
  const copy = clone([new Uint8Array(ab, 8), new DataView(ab, 8)]);
  assert.equal(copy[0]?.byteLength, 0);
  assert.equal(copy[1]?.byteOffset, 8);
});

test('spec 30: length-tracking views stay length-tracking (typed array and DataView)', () => {
  const rab = resizableBuffer(16, 64);
  const copy = clone({ ta: new Float64Array(rab, 8), dv: new DataView(rab, 4), u8: new Uint8Array(rab) });
  const buffer = copy.ta.buffer as ArrayBuffer & { resize(n: number): void };
  buffer.resize(40);
  assert.equal(copy.ta.length, 4);
  assert.equal(copy.dv.byteLength, 36);
  assert.equal(copy.u8.length, 40);
});

test('spec 30: fixed-length views reaching the end of a resizable buffer stay fixed', () => {
  const rab = resizableBuffer(16, 64);
  const copy = clone({ ta: new Float64Array(rab, 8, 1), dv: new DataView(rab, 4, 12) });
  (copy.ta.buffer as ArrayBuffer & { resize(n: number): void }).resize(40);
  assert.equal(copy.ta.length, 1);
  assert.equal(copy.dv.byteLength, 12);
});

test('spec 30: a view that ends less than one element before the end can still be length-tracking', () => {
  const rab = resizableBuffer(16, 64);
  const tracking = new Float64Array(rab, 0);
  const fixed = new Float64Array(rab, 0, 2);
  rab.resize(17);
  new Uint8Array(rab)[16] = 7;
  assert.equal(tracking.length, 2);
  const copy = clone([tracking, fixed]);
  assert.equal(new Uint8Array(copy[0]?.buffer as ArrayBuffer)[16], 7, 'the byte past the last element survives');
  (copy[0]?.buffer as ArrayBuffer & { resize(n: number): void }).resize(32);
  assert.equal(copy[0]?.length, 4);
  assert.equal(copy[1]?.length, 2);
});

test('spec 30: at maxByteLength the probe shrinks instead, and leaves the bytes as they were', () => {
  const rab = resizableBuffer(16, 16);
  new Uint8Array(rab).forEach((_, i, a) => { a[i] = 200 + i; });
  const before = [...new Uint8Array(rab)];
  const copy = clone({ tracking: new Uint16Array(rab, 2), fixed: new Uint16Array(rab, 2, 7), dv: new DataView(rab, 1) });
  assert.deepEqual([...new Uint8Array(rab)], before, 'original bytes restored');
  assert.equal(rab.byteLength, 16);
  const buffer = copy.tracking.buffer as ArrayBuffer & { resize(n: number): void };
  assert.deepEqual([...new Uint8Array(buffer)], before, 'clone has the original bytes');
  buffer.resize(10);
  assert.equal(copy.tracking.length, 4);
  assert.equal(copy.dv.byteLength, 9);
  assertDataCloneError(() => clone(copy.fixed), 'the fixed view went out of bounds: it was not tracking');
});

test('spec 30: probing does not disturb other views of the buffer', () => {
  const rab = resizableBuffer(8, 8);
  const other = new Uint8Array(rab, 0, 8);
  other.set([1, 2, 3, 4, 5, 6, 7, 8]);
  clone(new Uint32Array(rab, 4));
  assert.deepEqual([...other], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('spec 30: a view of a growable SharedArrayBuffer reaching its end is taken as length-tracking (documented deviation)', () => {
  const gsab = growableSharedBuffer(8, 32);
  const copy = clone(new Int32Array(gsab));
  gsab.grow(16);
  assert.equal(copy.length, 4, 'shared memory: growing the original grows the clone');
});

test('spec 30: copying a buffer reads neither `constructor` nor Symbol.species', () => {
  let read = false;
  const ab = new Uint8Array([1, 2]).buffer;
  Object.defineProperty(ab, 'constructor', { get() { read = true; return ArrayBuffer; } });
  const view = new Uint8Array(ab);
  Object.defineProperty(view, 'constructor', { get() { read = true; return Uint8Array; } });
  const copy = clone({ ab, view });
  assert.equal(read, false);
  assert.deepEqual([...copy.view], [1, 2]);
});
