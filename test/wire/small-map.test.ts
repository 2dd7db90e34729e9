// The encoder's per-message tables: the memory (SmallMap, objects → object index) and the key
// table (KeyTable, key strings → key index), each a linear scan for a few entries and a Map past
// 16, emptied between messages.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyTable, SmallMap } from '../../src/wire/small-map.ts';
import { decode, encode } from '../../src/wire.ts';

test('KeyTable: indices in the order keys were added, across the switch to a Map, and after clear()', () => {
  const table = new KeyTable();
  for (let round = 0; round < 3; round++) {
    const keys = Array.from({ length: 40 }, (_, i) => `${round}-key-${i}`);
    keys.forEach((key, i) => {
      assert.equal(table.indexOf(key), -1);
      table.add(key);
      assert.equal(table.size, i + 1);
    });
    keys.forEach((key, i) => assert.equal(table.indexOf(key), i));
    assert.equal(table.indexOf('absent'), -1);
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.indexOf(keys[0]!), -1);
  }
});

test('SmallMap: identity keys across the switch to a Map, and after clear()', () => {
  const map = new SmallMap<object, number>();
  for (let round = 0; round < 3; round++) {
    const objects = Array.from({ length: 40 }, () => ({}));
    objects.forEach((o, i) => map.set(o, i));
    objects.forEach((o, i) => assert.equal(map.get(o), i));
    assert.equal(map.get({}), undefined);
    assert.equal(map.size, 40);
    map.clear();
    assert.equal(map.size, 0);
    assert.equal(map.get(objects[0]!), undefined);
  }
});

test('wire: a message with more than 16 distinct keys, each used again, refers to each by its own index', () => {
  const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
  const make = (seed: number) => Object.fromEntries(keys.map((k, i) => [k, i * seed]));
  const value = [make(1), make(2), make(3)];
  // Twice in a row: the second message starts from an emptied table.
  for (let i = 0; i < 2; i++) assert.deepStrictEqual(decode(encode(value)), value);
});
