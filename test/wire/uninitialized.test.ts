// src/util/uninitialized.ts: arrays the caller overwrites entirely, not zeroed first where the host can.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canSkipZeroing, UNINITIALIZED_FROM, uninitializedBytes } from '../../src/util/uninitialized.ts';
import { decode, encode } from '../../src/wire.ts';

test('uninitializedBytes: a plain Uint8Array over an ArrayBuffer of exactly n bytes, small or large', () => {
  assert.equal(canSkipZeroing, true, 'Node has Buffer.allocUnsafeSlow');
  for (const n of [0, 1, UNINITIALIZED_FROM - 1, UNINITIALIZED_FROM, 1 << 20]) {
    const bytes = uninitializedBytes(n);
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, `${n}: not a Buffer`);
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.length, n);
    assert.equal(bytes.buffer.byteLength, n, `${n}: the ArrayBuffer is exactly n bytes (callers hand it out)`);
    assert.equal(Object.getPrototypeOf(bytes.buffer), ArrayBuffer.prototype);
  }
});

test('uninitializedBytes: decoded buffers of every size own exactly their bytes', () => {
  for (const n of [10, UNINITIALIZED_FROM, 300_000]) {
    const source = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
    const decoded = decode(encode(source.buffer)) as ArrayBuffer;
    assert.equal(decoded.byteLength, n);
    assert.deepEqual(new Uint8Array(decoded), source);
  }
});
