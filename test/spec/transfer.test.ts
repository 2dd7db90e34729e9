// postMessage with a transfer list, and the transfer of MessagePorts: items 14–18, 23 and 24 of
// shared/spec/channel-messaging.md.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, MessagePort, structuredClone } from '../../src/index.ts';
import { dataOf } from '../../src/spec/message-port.ts';
import { closeAll, next, payloads, record, sameNodeOnly, settle, until } from './helpers.ts';

const isDataCloneError = (error: unknown): boolean =>
  error instanceof DOMException && error.name === 'DataCloneError' && error.code === DOMException.DATA_CLONE_ERR;

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

/** Receive the single port carried by a message on a fresh carrier channel. */
async function ship(port: MessagePort): Promise<MessagePort> {
  const carrier = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage(null, [port]);
  const event = await next(carrier.port2);
  closeAll(carrier.port1, carrier.port2);
  return event.ports[0]!;
}

// --- Item 14: both overloads normalise to one transfer list ---

test('spec 14: postMessage(message, [buffer]) transfers the buffer', async () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1, 2, 3);
  port2.start();
  port1.postMessage(buffer, [buffer]);
  assert.equal(buffer.byteLength, 0);
  const event = await next(port2);
  assert.deepEqual([...new Uint8Array(event.data as ArrayBuffer)], [1, 2, 3]);
  closeAll(port1, port2);
});

test('spec 14: postMessage(message, { transfer: [buffer] }) transfers the buffer', async () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(4, 5);
  port2.start();
  port1.postMessage(buffer, { transfer: [buffer] });
  assert.equal(buffer.byteLength, 0);
  const event = await next(port2);
  assert.deepEqual([...new Uint8Array(event.data as ArrayBuffer)], [4, 5]);
  closeAll(port1, port2);
});

test('spec 14: both overloads carry ports the same way', async () => {
  const { port1, port2 } = new MessageChannel();
  const a = new MessageChannel();
  const b = new MessageChannel();
  port2.start();
  port1.postMessage('seq', [a.port1]);
  port1.postMessage('dict', { transfer: [b.port1] });
  const events = record(port2);
  await until(() => events.length === 2, 'two messages');
  assert.deepEqual(payloads(events), ['seq', 'dict']);
  assert.equal(events[0]!.ports.length, 1);
  assert.equal(events[1]!.ports.length, 1);
  closeAll(port1, port2, events[0]!.ports[0]!, events[1]!.ports[0]!, a.port2, b.port2);
});

// --- Item 15: transferring the source port ---

test('spec 15: transferring the source port throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => port1.postMessage(null, [port1]), isDataCloneError);
  assert.throws(() => port1.postMessage(null, { transfer: [port1] }), isDataCloneError);
  // The port is still usable.
  assert.ok(dataOf(port1) !== null);
  closeAll(port1, port2);
});

test('spec 15: the source-port check comes before serialization: no getter runs, nothing is detached', () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  const buffer = bytes(1, 2);
  let getterRan = false;
  const message = {
    get x(): number {
      getterRan = true;
      return 1;
    },
  };
  assert.throws(() => port1.postMessage(message, [buffer, other.port1, port1]), isDataCloneError);
  assert.equal(getterRan, false);
  assert.equal(buffer.byteLength, 2);
  assert.ok(dataOf(other.port1) !== null, 'the other port was not transferred');
  closeAll(port1, port2, other.port1, other.port2);
});

test('spec 15: the source-port check comes before the doomed check: the target is not detached', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => port1.postMessage(null, [port2, port1]), isDataCloneError);
  assert.ok(dataOf(port2) !== null, 'the target was not transferred');
  closeAll(port1, port2);
});

test('spec 15: the source port after it closed still cannot be transferred through itself', () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  assert.throws(() => port1.postMessage(null, [port1]), isDataCloneError);
  port2.close();
});

test('spec 15: the source port still delivers messages after a rejected transfer', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  assert.throws(() => port1.postMessage('no', [port1]), isDataCloneError);
  port1.postMessage('yes');
  const event = await next(port2);
  assert.equal(event.data, 'yes');
  closeAll(port1, port2);
});

// --- Item 16: posting the target port through itself ---

test('spec 16: transferring the target port does not throw; the message is dropped and the source gets close', async () => {
  const { port1, port2 } = new MessageChannel();
  const messages = record(port2);
  port2.start();
  const closes = record(port1, 'close');
  assert.equal(port1.postMessage('doomed', [port2]), undefined);
  await until(() => closes.length === 1, 'close at the source port');
  await settle();
  assert.deepEqual(messages, []);
  assert.equal(closes[0]!.target, port1);
  closeAll(port1, port2);
});

test('spec 16: a doomed message still serializes and transfers: getters run, buffers and ports are detached', async () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  const otherCloses = record(other.port2, 'close');
  const buffer = bytes(9);
  let getterRan = false;
  const message = {
    get x(): number {
      getterRan = true;
      return 1;
    },
  };
  port1.postMessage(message, [port2, buffer, other.port1]);
  assert.equal(getterRan, true);
  assert.equal(buffer.byteLength, 0);
  // The target port is detached: transferring it again fails.
  assert.throws(() => structuredClone(port2, { transfer: [port2] }), isDataCloneError);
  // The other port went down with the dropped message: its peer learns.
  await until(() => otherCloses.length === 1, 'close at the peer of the dropped port');
  closeAll(port1, other.port2);
});

test('spec 16: a doomed message with a non-cloneable value throws DataCloneError instead', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => port1.postMessage(Symbol('x'), [port2]), isDataCloneError);
  // Nothing was transferred: the target is still attached.
  assert.ok(dataOf(port2) !== null);
  closeAll(port1, port2);
});

test('spec 16: after a doomed post, the channel is gone: later posts go nowhere', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [port2]);
  const atSource = record(port1);
  port1.start();
  port1.postMessage('lost');
  await settle();
  assert.deepEqual(atSource, []);
  port1.close();
});

test('spec 16: the target port transferred earlier is the new object, not the old detached one', sameNodeOnly('with two nodes in one realm, a port moved between them is relayed (src/realm/splice.ts), so its peer is the relay'), async () => {
  const { port1, port2 } = new MessageChannel();
  const moved = await ship(port2);
  // The old object is detached: a DataCloneError, not "doomed".
  assert.throws(() => port1.postMessage(null, [port2]), isDataCloneError);
  // The new object is the target now: doomed.
  const closes = record(port1, 'close');
  assert.doesNotThrow(() => port1.postMessage(null, [moved]));
  await until(() => closes.length === 1, 'close at the source port');
  closeAll(port1, moved);
});

// --- Item 17: serialization happens synchronously, even with no target ---

test('spec 17: a non-cloneable message throws DataCloneError synchronously', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => port1.postMessage(Symbol('x')), isDataCloneError);
  assert.throws(() => port1.postMessage(() => {}), isDataCloneError);
  assert.throws(() => port1.postMessage({ nested: [new WeakMap()] }), isDataCloneError);
  closeAll(port1, port2);
});

test('spec 17: an exception thrown by a getter propagates unchanged', () => {
  const { port1, port2 } = new MessageChannel();
  const boom = new RangeError('boom');
  const message = {
    get x(): never {
      throw boom;
    },
  };
  assert.throws(() => port1.postMessage(message), (error) => error === boom);
  closeAll(port1, port2);
});

test('spec 17: a throwing getter leaves the transfer list attached', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  const other = new MessageChannel();
  const message = {
    get x(): never {
      throw new Error('no');
    },
  };
  assert.throws(() => port1.postMessage(message, [buffer, other.port1]), /no/);
  assert.equal(buffer.byteLength, 1);
  assert.ok(dataOf(other.port1) !== null);
  closeAll(port1, port2, other.port1, other.port2);
});

test('spec 17: a closed port still serializes: DataCloneError is thrown, getters run', () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  assert.throws(() => port1.postMessage(Symbol('x')), isDataCloneError);
  let getterRan = false;
  port1.postMessage({
    get x(): number {
      getterRan = true;
      return 1;
    },
  });
  assert.equal(getterRan, true);
  port2.close();
});

test('spec 17: a closed port still transfers: buffers are detached', () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  const buffer = bytes(1, 2, 3);
  port1.postMessage(buffer, [buffer]);
  assert.equal(buffer.byteLength, 0);
  port2.close();
});

test('spec 17: a port whose peer closed still serializes and transfers', () => {
  const { port1, port2 } = new MessageChannel();
  port2.close();
  assert.throws(() => port1.postMessage(Symbol('x')), isDataCloneError);
  const buffer = bytes(1);
  port1.postMessage(null, [buffer]);
  assert.equal(buffer.byteLength, 0);
  port1.close();
});

test('spec 17: ports transferred through a closed port are closed, and their peers get close', async () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  const otherCloses = record(other.port2, 'close');
  port1.close();
  port1.postMessage(null, [other.port1]);
  assert.ok(dataOf(other.port1) === null, 'the transferred port is detached');
  await until(() => otherCloses.length === 1, 'close at the peer of the dropped port');
  other.port2.close();
  port2.close();
});

test('spec 17: ports transferred through a port whose peer closed are closed, and their peers get close', async () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  const otherCloses = record(other.port2, 'close');
  port2.close();
  port1.postMessage(null, [other.port1]);
  await until(() => otherCloses.length === 1, 'close at the peer of the dropped port');
  closeAll(port1, other.port2);
});

test('spec 17: transferring a detached buffer throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  port1.postMessage(null, [buffer]);
  assert.throws(() => port1.postMessage(null, [buffer]), isDataCloneError);
  closeAll(port1, port2);
});

test('spec 17: a duplicate in the transfer list throws DataCloneError and detaches nothing', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  const other = new MessageChannel();
  assert.throws(() => port1.postMessage(null, [buffer, buffer]), isDataCloneError);
  assert.equal(buffer.byteLength, 1);
  assert.throws(() => port1.postMessage(null, [other.port1, other.port1]), isDataCloneError);
  assert.ok(dataOf(other.port1) !== null);
  closeAll(port1, port2, other.port1, other.port2);
});

test('spec 17: a MessagePort in the message but not in the transfer list throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  assert.throws(() => port1.postMessage({ port: other.port1 }), isDataCloneError);
  assert.ok(dataOf(other.port1) !== null);
  closeAll(port1, port2, other.port1, other.port2);
});

test('spec 17: a non-transferable object in the transfer list throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => port1.postMessage(null, [{}]), isDataCloneError);
  assert.throws(() => port1.postMessage(null, [new Uint8Array(1)]), isDataCloneError);
  assert.throws(() => port1.postMessage(null, [new Blob(['x'])]), isDataCloneError);
  closeAll(port1, port2);
});

// --- Item 18: dropped messages ---

test('spec 18: posting from a closed port drops the message silently', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port2.start();
  port1.close();
  assert.equal(port1.postMessage('lost'), undefined);
  await settle();
  assert.deepEqual(received, []);
  port2.close();
});

test('spec 18: posting to a closed port drops the message silently', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port2.start();
  port2.close();
  assert.equal(port1.postMessage('lost'), undefined);
  await settle();
  assert.deepEqual(received, []);
  port1.close();
});

test('spec 18: posting from a port detached by transfer is a silent no-op', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port1);
  port1.start();
  const moved = await ship(port2);
  assert.equal(port2.postMessage('from the old object'), undefined);
  await settle();
  assert.deepEqual(received, []);
  closeAll(port1, moved);
});

// --- Item 23: transfer steps ---

test('spec 23: a transferred port is detached: transferring it again throws DataCloneError', async () => {
  const { port1, port2 } = new MessageChannel();
  const moved = await ship(port2);
  const carrier = new MessageChannel();
  assert.throws(() => carrier.port1.postMessage(null, [port2]), isDataCloneError);
  assert.throws(() => structuredClone(port2, { transfer: [port2] }), isDataCloneError);
  closeAll(port1, moved, carrier.port1, carrier.port2);
});

test('spec 23: a detached port object is inert: start, close, onmessage do nothing and do not throw', async () => {
  const { port1, port2 } = new MessageChannel();
  const moved = await ship(port2);
  const atMoved = record(moved);
  moved.start();
  port2.start();
  port2.onmessage = () => {};
  port2.close();
  // close() on the old object did not close the new one.
  port1.postMessage('still entangled');
  await until(() => atMoved.length === 1, 'the message at the new port');
  closeAll(port1, moved);
});

test('spec 23: transferring a port marks both it and its peer as shipped', sameNodeOnly('reads the same-node has-been-shipped flag'), async () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(dataOf(port1)!.shipped, false);
  assert.equal(dataOf(port2)!.shipped, false);
  const moved = await ship(port2);
  assert.equal(dataOf(port1)!.shipped, true);
  assert.equal(dataOf(moved)!.shipped, true);
  closeAll(port1, moved);
});

test('spec 23: the peer of a transferred port can itself be transferred', async () => {
  const { port1, port2 } = new MessageChannel();
  const moved2 = await ship(port2);
  const moved1 = await ship(port1);
  moved2.start();
  moved1.postMessage('both moved');
  const event = await next(moved2);
  assert.equal(event.data, 'both moved');
  closeAll(moved1, moved2);
});

test('spec 23: both ports of a channel can travel in one message and stay entangled with each other', async () => {
  const { port1, port2 } = new MessageChannel();
  const carrier = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage({ port1, port2 }, [port1, port2]);
  const event = await next(carrier.port2);
  const received = event.data as { port1: MessagePort; port2: MessagePort };
  received.port2.start();
  received.port1.postMessage('inside');
  assert.equal((await next(received.port2)).data, 'inside');
  closeAll(received.port1, received.port2, carrier.port1, carrier.port2);
});

test('spec 23: a port in the transfer list that a getter transfers elsewhere is detached by then → DataCloneError (29.3)', () => {
  const { port1, port2 } = new MessageChannel();
  const target = new MessageChannel();
  const elsewhere = new MessageChannel();
  const message = {
    get x(): number {
      elsewhere.port1.postMessage(null, [target.port1]);
      return 1;
    },
  };
  assert.throws(() => port1.postMessage(message, [target.port1]), isDataCloneError);
  closeAll(port1, port2, elsewhere.port1, elsewhere.port2, target.port2);
});

// --- Item 24: transfer-receiving steps ---

test('spec 24: the received port is a new object, not started, and entangled with the old peer', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage('queued');
  const moved = await ship(port2);
  assert.ok(moved instanceof MessagePort);
  assert.notEqual(moved, port2);
  const received = record(moved);
  port1.postMessage('later');
  await settle();
  assert.deepEqual(received, [], 'disabled until started');
  moved.start();
  await until(() => received.length === 2, 'both messages');
  assert.deepEqual(payloads(received), ['queued', 'later']);
  // And the other way round.
  const atPort1 = record(port1);
  port1.start();
  moved.postMessage('back');
  await until(() => atPort1.length === 1, 'the reply');
  assert.equal(atPort1[0]!.data, 'back');
  closeAll(port1, moved);
});

test('spec 24: a port that was started before transfer is not started after it', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = () => {};
  const moved = await ship(port2);
  const received = record(moved);
  port1.postMessage('waits');
  await settle();
  assert.deepEqual(received, []);
  moved.onmessage = () => {};
  await until(() => received.length === 1, 'the message after onmessage is set');
  closeAll(port1, moved);
});

test('spec 24: a received port is started by setting onmessage', async () => {
  const { port1, port2 } = new MessageChannel();
  const moved = await ship(port2);
  let data: unknown;
  moved.onmessage = (event: MessageEvent) => (data = event.data);
  port1.postMessage('hi');
  await until(() => data !== undefined, 'the message');
  assert.equal(data, 'hi');
  closeAll(port1, moved);
});
