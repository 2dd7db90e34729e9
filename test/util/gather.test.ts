// src/util/gather.ts: bytes for one writev, large pieces as they are, the rest copied into one buffer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gather, keptBytes, lengthOf } from '../../src/util/gather.ts';

test('gather: large pieces pass as they are, the bytes between them are views into the one copied buffer, in order', () => {
  const big = new Uint8Array(10).fill(9);
  const bigToo = new Uint8Array(12).fill(8);
  const items = [Uint8Array.of(1, 2), [Uint8Array.of(3), big, new Uint8Array(0)], bigToo, [Uint8Array.of(4, 5, 6)]];
  assert.equal(keptBytes(items, 0, items.length, 10), 22);
  assert.equal(keptBytes(items, 3, 4, 10), 0);
  assert.deepEqual(items.map(lengthOf), [2, 11, 12, 3]);
  const out = new Gather(new Uint8Array(1 + 2 + 1 + 3), 10);
  out.buffer[out.pos++] = 0xee; // a header written in place
  for (const item of items) out.put(item);
  const pieces = out.finish('test');
  assert.equal(pieces[1], big);
  assert.equal(pieces[2], bigToo, 'no empty view between two large pieces');
  assert.deepEqual(pieces.map((p) => [...p]), [[0xee, 1, 2, 3], [...big], [...bigToo], [4, 5, 6]]);
  for (const i of [0, 3]) assert.equal(pieces[i]!.buffer, out.buffer.buffer, 'copied bytes are views of the one buffer');
});

test('gather: a buffer not filled exactly is refused (its bytes are not zeroed)', () => {
  const short = new Gather(new Uint8Array(3), 10);
  short.put(Uint8Array.of(1, 2));
  assert.throws(() => short.finish('short'), /short: wrote 2 of 3/);
  const long = new Gather(new Uint8Array(1), 10);
  assert.throws(() => long.put(Uint8Array.of(1, 2)), RangeError);
});
