// encodeForNode, the routing layer's one-walk post: the same bytes as encoding the records of
// StructuredSerializeWithTransfer(value, []), for every value the clone core handles, with Blobs
// and Files spliced into their places once read.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { structuredSerializeWithTransfer } from '../../src/clone/index.ts';
import { encodeForNode, encodeWithTransfer, encodeWithTransferAsync } from '../../src/wire/index.ts';
import { cloneableArb } from '../clone/differential-lib.ts';

const noPlatform = (): never => { throw new Error('no platform holders here'); };
const viaRecords = (value: unknown): Uint8Array => encodeWithTransfer(structuredSerializeWithTransfer(value, []), noPlatform);

test('wire for-node: one walk makes the bytes the records make (fast-check, cloneable values)', () => {
  fc.assert(fc.property(cloneableArb, (value) => {
    const direct = encodeForNode(value);
    assert.ok(direct instanceof Uint8Array, 'no Blob: the bytes at once');
    assert.deepEqual([...direct], [...viaRecords(value)]);
  }), { numRuns: 300 });
});

test('wire for-node: Blobs and Files are written in their places once read, as encodeWithTransferAsync writes them', async () => {
  const blob = new Blob(['blob'], { type: 'a/b' });
  const file = new File(['file bytes'], 'name.txt', { type: 'text/plain', lastModified: 7 });
  const values: unknown[] = [
    blob,
    [blob, blob, file],
    { before: 'x'.repeat(300), blob, middle: new Uint8Array([1, 2, 3]), file, after: new Map([[file, blob]]) },
    [new Blob([]), { deep: [[[file]]] }, 'tail'],
  ];
  for (const value of values) {
    const direct = encodeForNode(value);
    assert.ok(direct instanceof Promise, 'with a Blob: a promise');
    const expected = await encodeWithTransferAsync(structuredSerializeWithTransfer(value, []), noPlatform);
    assert.deepEqual([...await direct], [...expected]);
  }
});

test('wire for-node: DataCloneError as serialization throws it; a SharedArrayBuffer only after the walk', () => {
  const isDataCloneError = (e: unknown): boolean => e instanceof DOMException && e.name === 'DataCloneError';
  assert.throws(() => encodeForNode({ f() {} }), isDataCloneError);
  let after = 0;
  assert.throws(() => encodeForNode([new SharedArrayBuffer(4), { get x() { after++; return 1; } }]), isDataCloneError);
  assert.equal(after, 1);
  // Nothing half-written stays behind: the next message is whole.
  assert.deepEqual([...encodeForNode('ok') as Uint8Array], [...viaRecords('ok')]);
});
