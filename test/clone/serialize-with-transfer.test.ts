// Checklist items 29 (StructuredSerializeWithTransfer) and 33 (what is transferable).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discardTransferDataHolders, isDetachedBuffer, structuredDeserializeWithTransfer, structuredSerializeWithTransfer,
  type TransferDataHolder,
} from '../../src/clone/index.ts';
import { assertDataCloneError, bufferInfo, clone, discardedStates, FakePort, resizableBuffer } from './helpers.ts';

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

test('spec 29.1: an object that is neither an ArrayBuffer nor a transferable platform object → DataCloneError', () => {
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [{}]));
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [[]]));
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [new Uint8Array(4)]));
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [() => 1]));
});

test('spec 29.1: a primitive that reached the transfer list → DataCloneError', () => {
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [1 as unknown as object]));
});

test('spec 29.1: a SharedArrayBuffer in the transfer list → DataCloneError', () => {
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [new SharedArrayBuffer(8)]));
});

test('spec 29.1: a duplicate in the transfer list → DataCloneError, and nothing is detached', () => {
  const ab = bytes(1, 2, 3);
  const port = new FakePort();
  assertDataCloneError(() => structuredSerializeWithTransfer(ab, [ab, ab]));
  assertDataCloneError(() => structuredSerializeWithTransfer(port, [port, ab, port]));
  assert.equal(ab.byteLength, 3);
  assert.equal(port.detached, false);
});

test('spec 29.1: nothing is detached before serialization: a getter sees transferables attached', () => {
  const ab = bytes(1, 2, 3);
  const port = new FakePort();
  const seen: unknown[] = [];
  const value = {
    get probe() {
      seen.push(ab.byteLength, port.detached);
      return 1;
    },
  };
  structuredSerializeWithTransfer(value, [ab, port]);
  assert.deepEqual(seen, [3, false]);
  assert.equal(ab.byteLength, 0);
  assert.equal(port.detached, true);
});

test('spec 29.2: an exception from a getter propagates unchanged, and nothing is detached', () => {
  const ab = bytes(1, 2);
  const boom = new Error('boom');
  const value = {
    get bad(): never {
      throw boom;
    },
  };
  assert.throws(() => structuredSerializeWithTransfer(value, [ab]), (e: unknown) => e === boom);
  assert.equal(ab.byteLength, 2);
});

test('spec 29.2: a DataCloneError during serialization leaves the transfer list attached', () => {
  const ab = bytes(1, 2);
  const port = new FakePort();
  assertDataCloneError(() => structuredSerializeWithTransfer({ ab, port, f: () => 1 }, [ab, port]));
  assert.equal(ab.byteLength, 2);
  assert.equal(port.detached, false);
});

test('spec 29.3: an already detached ArrayBuffer in the transfer list → DataCloneError', () => {
  const ab = bytes(1);
  structuredSerializeWithTransfer(null, [ab]);
  assert.ok(isDetachedBuffer(ab));
  assertDataCloneError(() => structuredSerializeWithTransfer(null, [ab]));
});

test('spec 29.3: a detached (closed) platform object in the transfer list → DataCloneError', () => {
  const port = new FakePort();
  port.close();
  assertDataCloneError(() => structuredSerializeWithTransfer(null, [port]));
});

test('spec 29.3: a getter that detaches a transferred buffer → DataCloneError', () => {
  const ab = bytes(1, 2, 3);
  const value = {
    get sneaky() {
      structuredSerializeWithTransfer(null, [ab]); // transferred elsewhere meanwhile
      return 'x';
    },
  };
  assertDataCloneError(() => structuredSerializeWithTransfer(value, [ab]));
});

test('spec 29.3: a getter that transfers the same port elsewhere → DataCloneError (Node aborts here)', () => {
  const port = new FakePort(['queued']);
  let inner: ReturnType<typeof structuredSerializeWithTransfer> | undefined;
  const value = {
    get sneaky() {
      inner = structuredSerializeWithTransfer(port, [port]);
      return 'x';
    },
  };
  assertDataCloneError(() => structuredSerializeWithTransfer(value, [port]));
  // The inner transfer went through; the port now lives in its holder.
  assert.ok(inner !== undefined);
  const received = structuredDeserializeWithTransfer(inner).deserialized as FakePort;
  assert.ok(received instanceof FakePort);
  assert.deepEqual(received.queue, ['queued']);
});

test('spec 29.3: when one entry is detached, no other entry is detached either (checked before transferring)', () => {
  const first = bytes(1, 2);
  const port = new FakePort();
  const detached = bytes(3);
  structuredSerializeWithTransfer(null, [detached]);
  assertDataCloneError(() => structuredSerializeWithTransfer({ first, port }, [first, port, detached]));
  assert.equal(first.byteLength, 2);
  assert.equal(port.detached, false);
});

test('spec 29.3: a transferred ArrayBuffer is detached and its bytes move to the holder', () => {
  const ab = bytes(7, 8, 9);
  const result = structuredSerializeWithTransfer(ab, [ab]);
  assert.ok(isDetachedBuffer(ab));
  const [holder] = result.transferDataHolders;
  assert.equal(holder?.type, 'ArrayBuffer');
  const { deserialized, transferredValues } = structuredDeserializeWithTransfer(result);
  assert.equal(deserialized, transferredValues[0]);
  assert.deepEqual([...new Uint8Array(deserialized as ArrayBuffer)], [7, 8, 9]);
  if (holder?.type === 'ArrayBuffer') assert.equal(deserialized, holder.data, 'zero-copy: the holder data is the buffer');
});

test('spec 29.3: a transferred resizable ArrayBuffer stays resizable with its maxByteLength', () => {
  const ab = resizableBuffer(4, 32);
  new Uint8Array(ab).set([1, 2, 3, 4]);
  const result = structuredSerializeWithTransfer({ ab }, [ab]);
  assert.equal(result.transferDataHolders[0]?.type, 'ResizableArrayBuffer');
  const copy = structuredDeserializeWithTransfer(result).deserialized as { ab: ArrayBuffer };
  assert.deepEqual(bufferInfo(copy.ab), { byteLength: 4, resizable: true, maxByteLength: 32 });
  assert.deepEqual([...new Uint8Array(copy.ab)], [1, 2, 3, 4]);
  assert.ok(isDetachedBuffer(ab));
});

test('spec 29.3: views over a transferred buffer view the transferred buffer in the clone', () => {
  const ab = bytes(1, 2, 3, 4);
  const view = new Uint8Array(ab, 1, 2);
  const copy = clone({ view, ab }, [ab]);
  assert.equal(copy.view.buffer, copy.ab);
  assert.deepEqual([...copy.view], [2, 3]);
  assert.equal(ab.byteLength, 0);
});

test('spec 29.4: holders and TransferredValues follow transfer-list order; a referenced transferable is that value', () => {
  const a = bytes(1);
  const port = new FakePort(['m1', 'm2']);
  const b = bytes(2, 2);
  const result = structuredSerializeWithTransfer({ port, again: port, b }, [a, port, b]);
  assert.deepEqual(result.transferDataHolders.map((h) => h.type), ['ArrayBuffer', 'platform', 'ArrayBuffer']);
  const platform = result.transferDataHolders[1] as Extract<TransferDataHolder, { type: 'platform' }>;
  assert.equal(platform.interfaceName, 'FakePort');
  assert.deepEqual(platform.state, ['m1', 'm2']);
  assert.equal(port.detached, true);
  const { deserialized, transferredValues } = structuredDeserializeWithTransfer(result);
  const value = deserialized as { port: FakePort; again: FakePort; b: ArrayBuffer };
  assert.equal(transferredValues.length, 3);
  assert.equal(value.port, transferredValues[1]);
  assert.equal(value.again, value.port);
  assert.equal(value.b, transferredValues[2]);
  assert.deepEqual(value.port.queue, ['m1', 'm2']);
  assert.equal((transferredValues[0] as ArrayBuffer).byteLength, 1, 'an unreferenced transferable is still transferred');
});

test('spec 29: an empty transfer list gives no holders', () => {
  const result = structuredSerializeWithTransfer('x', []);
  assert.equal(result.serialized, 'x');
  assert.equal(result.transferDataHolders.length, 0);
});

test('spec 33: ArrayBuffer, resizable ArrayBuffer and a registered platform interface are transferable', () => {
  const ab = bytes(1);
  const rab = resizableBuffer(1, 2);
  const port = new FakePort();
  const copy = clone([ab, rab, port], [ab, rab, port]);
  assert.equal((copy[0] as ArrayBuffer).byteLength, 1);
  assert.equal(bufferInfo(copy[1] as ArrayBuffer).resizable, true);
  assert.ok(copy[2] instanceof FakePort && copy[2] !== port);
});

test('spec 33: transferring a non-transferable platform object (Blob) → DataCloneError', () => {
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [new Blob(['x'])]));
  assertDataCloneError(() => structuredSerializeWithTransfer(1, [new EventTarget()]));
});

test('spec 33: Node\'s own MessagePort is not an entangle transferable → DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  try {
    assertDataCloneError(() => structuredSerializeWithTransfer(1, [port1]));
  } finally {
    port1.close();
    port2.close();
  }
});

test('spec 33: a registered transferable that is not in the transfer list → DataCloneError', () => {
  const port = new FakePort();
  assertDataCloneError(() => structuredSerializeWithTransfer({ port }, []));
  assert.equal(port.detached, false);
});

test('discardTransferDataHolders: platform holders are discarded once each; ArrayBuffers need nothing', () => {
  discardedStates.length = 0;
  const p1 = new FakePort(['a']);
  const p2 = new FakePort(['b']);
  const result = structuredSerializeWithTransfer(null, [p1, bytes(1), p2]);
  discardTransferDataHolders(result.transferDataHolders);
  assert.deepEqual(discardedStates, [['a'], ['b']]);
});
