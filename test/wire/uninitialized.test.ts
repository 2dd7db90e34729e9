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

test('wire writer: a large buffer moves its message to bytes of its own of about its size; the messages after it go on in the chunk it left, and none overwrites another', () => {
  const big = new Uint8Array(100_000).map((_, i) => (i * 13) & 0xff);
  const before = encode({ n: 1 });
  const messages: Uint8Array[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < 6; i++) {
    const value = i % 2 === 0 ? { i, data: big.buffer } : { i, text: 'small' };
    values.push(value);
    messages.push(encode(value));
  }
  for (let i = 0; i < 6; i += 2) {
    const buffer = messages[i]!.buffer;
    assert.ok(buffer.byteLength < 100_000 + 2048, `message ${i}: a buffer of ${buffer.byteLength} bytes for ~100,000`);
    // The tail past the message is zeroed, not left over from earlier memory.
    assert.ok(new Uint8Array(buffer, messages[i]!.byteOffset + messages[i]!.length).every((b) => b === 0));
  }
  assert.equal(messages[1]!.buffer, before.buffer, 'the small message after a large one is in the chunk the large one left');
  assert.equal(messages[3]!.buffer, before.buffer);
  assert.deepEqual(decode(before), { n: 1 });
  messages.forEach((bytes, i) => assert.deepEqual(decode(bytes), values[i]));
  // Two large buffers in one message: one buffer grown once more, the message whole.
  const two = { a: big.buffer, b: big.slice(0, 50_000).buffer, c: 'after' };
  assert.deepEqual(decode(encode(two)), two);
});

test('wire writer: a getter that encodes a large buffer while a message with a large buffer is being written: both messages whole, and the ones around them', () => {
  const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
  const other = new Uint8Array(70_000).map((_, i) => (i * 3) & 0xff);
  const inner = { b: other.buffer, s: 'inner' };
  const outer = {
    a: big.buffer,
    get nested() { return decode(encode(inner)); },
    tail: 'x'.repeat(100),
    c: big.slice(0, 9000).buffer,
  };
  for (let i = 0; i < 3; i++) {
    const before = encode({ n: i });
    const bytes = encode(outer);
    const after = encode({ m: i });
    assert.deepEqual(decode(bytes), { a: big.buffer, nested: inner, tail: 'x'.repeat(100), c: big.slice(0, 9000).buffer });
    assert.deepEqual(decode(before), { n: i });
    assert.deepEqual(decode(after), { m: i });
  }
});
