// Port message queues and the tasks that deliver messages: items 11, 12, 13 and 19 of
// shared/spec/channel-messaging.md.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, type MessagePort, structuredClone } from '../../src/index.ts';
import { dataOf } from '../../src/spec/message-port.ts';
import type { SerializedWithTransfer } from '../../src/clone/records.ts';
import { closeAll, next, payloads, record, sameNodeOnly, settle, until } from './helpers.ts';

/** A record that deserialization rejects: an object record of a type nobody knows. */
function malformedRecord(): SerializedWithTransfer {
  return { serialized: { type: 'NoSuchType' } as unknown as SerializedWithTransfer['serialized'], transferDataHolders: [] };
}

/** Queue a message at `port` that will fail to deserialize, as a receiver-side failure would. */
function enqueueMalformed(port: MessagePort): void {
  const data = dataOf(port);
  assert.ok(data !== null, 'the port has data');
  data.enqueue(malformedRecord());
}

// --- Item 11: one task per message ---

test('spec 11: a message is delivered by a task: not during postMessage, nor in the microtasks after it', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port2.start();
  port1.postMessage('x');
  assert.equal(received.length, 0, 'not synchronously');
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(received.length, 0, 'not in microtasks');
  await until(() => received.length === 1, 'the message');
  closeAll(port1, port2);
});

test('spec 11: microtasks run between two message events', async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port2.onmessage = (event: MessageEvent) => {
    log.push(`message ${event.data}`);
    queueMicrotask(() => log.push(`microtask after ${event.data}`));
  };
  port1.postMessage(1);
  port1.postMessage(2);
  await until(() => log.length === 4, 'two messages and two microtasks');
  assert.deepEqual(log, ['message 1', 'microtask after 1', 'message 2', 'microtask after 2']);
  closeAll(port1, port2);
});

test('spec 11: a chain of several awaits started by one message finishes before the next message', async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port2.onmessage = (event: MessageEvent) => {
    log.push(`message ${event.data}`);
    void (async () => {
      for (let i = 0; i < 5; i++) await null;
      await Promise.resolve().then(() => undefined);
      log.push(`chain done ${event.data}`);
    })();
  };
  port1.postMessage(1);
  port1.postMessage(2);
  port1.postMessage(3);
  await until(() => log.length === 6, 'three messages and three chains');
  assert.deepEqual(log, ['message 1', 'chain done 1', 'message 2', 'chain done 2', 'message 3', 'chain done 3']);
  closeAll(port1, port2);
});

test('spec 11: a handler that always re-posts does not starve a setTimeout(0) it scheduled', async () => {
  const { port1, port2 } = new MessageChannel();
  let received = 0;
  let receivedWhenTimerFired = -1;
  port2.onmessage = () => {
    received++;
    if (received === 1) setTimeout(() => (receivedWhenTimerFired = received), 0);
    // Keep re-posting until the timer has fired (and a bit beyond any sane bound otherwise).
    if (receivedWhenTimerFired < 0 && received < 100_000) port1.postMessage(null);
  };
  port1.postMessage(null);
  await until(() => receivedWhenTimerFired >= 0, 'the timer', 100_000);
  assert.ok(receivedWhenTimerFired < 1000, `the timer fired after ${receivedWhenTimerFired} messages`);
  closeAll(port1, port2);
});

test('spec 11: two ports that ping-pong forever do not starve a setTimeout(0)', async () => {
  const { port1, port2 } = new MessageChannel();
  let exchanged = 0;
  let exchangedWhenTimerFired = -1;
  const bounce = (from: MessagePort) => () => {
    exchanged++;
    if (exchangedWhenTimerFired < 0 && exchanged < 100_000) from.postMessage(null);
  };
  port1.onmessage = bounce(port1);
  port2.onmessage = bounce(port2);
  setTimeout(() => (exchangedWhenTimerFired = exchanged), 0);
  port1.postMessage(null);
  await until(() => exchangedWhenTimerFired >= 0, 'the timer', 100_000);
  assert.ok(exchangedWhenTimerFired < 1000, `the timer fired after ${exchangedWhenTimerFired} messages`);
  closeAll(port1, port2);
});

test('spec 11: a burst posted outside any task is delivered completely, in order', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: number[] = [];
  port2.onmessage = (event: MessageEvent) => received.push(event.data as number);
  const count = 5000;
  for (let i = 0; i < count; i++) port1.postMessage(i);
  await until(() => received.length === count, 'the whole burst', 100_000);
  assert.deepEqual(received, Array.from({ length: count }, (_, i) => i));
  closeAll(port1, port2);
});

// --- Item 12: ordering ---

test('spec 12: messages posted to one port arrive in posting order', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  for (let i = 0; i < 50; i++) port1.postMessage(i);
  port2.start();
  await until(() => received.length === 50, 'fifty messages');
  assert.deepEqual(payloads(received), Array.from({ length: 50 }, (_, i) => i));
  closeAll(port1, port2);
});

test('spec 12: messages across different unshipped ports are delivered in global posting order', sameNodeOnly('unshipped ports never have a peer on another node'), async () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  const c = new MessageChannel();
  const log: string[] = [];
  for (const [name, port] of [['a', a.port2], ['b', b.port2], ['c', c.port1]] as const) {
    port.onmessage = (event: MessageEvent) => log.push(`${name}:${event.data}`);
  }
  a.port1.postMessage(1);
  b.port1.postMessage(2);
  c.port2.postMessage(3);
  b.port1.postMessage(4);
  a.port1.postMessage(5);
  c.port2.postMessage(6);
  await until(() => log.length === 6, 'six messages');
  assert.deepEqual(log, ['a:1', 'b:2', 'c:3', 'b:4', 'a:5', 'c:6']);
  closeAll(a.port1, a.port2, b.port1, b.port2, c.port1, c.port2);
});

test('spec 12: messages in both directions of one channel keep global posting order', sameNodeOnly('unshipped ports never have a peer on another node'), async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port1.onmessage = (event: MessageEvent) => log.push(`1:${event.data}`);
  port2.onmessage = (event: MessageEvent) => log.push(`2:${event.data}`);
  port1.postMessage('a');
  port2.postMessage('b');
  port1.postMessage('c');
  port2.postMessage('d');
  await until(() => log.length === 4, 'four messages');
  assert.deepEqual(log, ['2:a', '1:b', '2:c', '1:d']);
  closeAll(port1, port2);
});

test('spec 12: messages posted from inside a handler keep posting order with the others', async () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  const log: string[] = [];
  a.port2.onmessage = (event: MessageEvent) => {
    log.push(`a:${event.data}`);
    if (event.data === 1) {
      b.port1.postMessage('from handler');
      a.port1.postMessage(3);
    }
  };
  b.port2.onmessage = (event: MessageEvent) => log.push(`b:${event.data}`);
  a.port1.postMessage(1);
  b.port1.postMessage(2);
  await until(() => log.length === 4, 'four messages');
  assert.deepEqual(log, ['a:1', 'b:2', 'b:from handler', 'a:3']);
  closeAll(a.port1, a.port2, b.port1, b.port2);
});

// --- Item 13: queued messages travel with a transferred port ---

test('spec 13: messages queued at a port travel with it and are dispatched at the new port, in order, ahead of later ones', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  channel.port1.postMessage('queued 1');
  channel.port1.postMessage('queued 2');
  carrier.port2.start();
  carrier.port1.postMessage('here', [channel.port2]);
  channel.port1.postMessage('after transfer 3');
  const moved = (await next(carrier.port2)).ports[0]!;
  channel.port1.postMessage('after receipt 4');
  const received = record(moved);
  moved.start();
  await until(() => received.length === 4, 'four messages');
  assert.deepEqual(payloads(received), ['queued 1', 'queued 2', 'after transfer 3', 'after receipt 4']);
  assert.ok(received.every((event) => event.target === moved));
  closeAll(channel.port1, moved, carrier.port1, carrier.port2);
});

test('spec 13: messages already queued as tasks at a started port travel with it when it is transferred', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  const atOld = record(channel.port2);
  channel.port2.start();
  channel.port1.postMessage('a');
  channel.port1.postMessage('b');
  // Transferred synchronously, before the tasks for 'a' and 'b' ran.
  carrier.port2.start();
  carrier.port1.postMessage(null, [channel.port2]);
  const moved = (await next(carrier.port2)).ports[0]!;
  await settle();
  assert.deepEqual(atOld, []);
  const received = record(moved);
  moved.start();
  await until(() => received.length === 2, 'two messages');
  await settle();
  assert.deepEqual(payloads(received), ['a', 'b']);
  closeAll(channel.port1, moved, carrier.port1, carrier.port2);
});

test('spec 13: a port transferred from inside its own message handler takes the rest of its queue along', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  const atOld: unknown[] = [];
  channel.port2.onmessage = (event: MessageEvent) => {
    atOld.push(event.data);
    carrier.port1.postMessage(null, [channel.port2]);
  };
  channel.port1.postMessage(1);
  channel.port1.postMessage(2);
  channel.port1.postMessage(3);
  carrier.port2.start();
  const moved = (await next(carrier.port2)).ports[0]!;
  const received = record(moved);
  moved.start();
  await until(() => received.length === 2, 'the two remaining messages');
  await settle();
  assert.deepEqual(atOld, [1]);
  assert.deepEqual(payloads(received), [2, 3]);
  closeAll(channel.port1, moved, carrier.port1, carrier.port2);
});

test('spec 13: queued messages follow a port across two transfers', async () => {
  const channel = new MessageChannel();
  const hop1 = new MessageChannel();
  const hop2 = new MessageChannel();
  channel.port1.postMessage(1);
  hop1.port2.start();
  hop1.port1.postMessage(null, [channel.port2]);
  const first = (await next(hop1.port2)).ports[0]!;
  channel.port1.postMessage(2);
  hop2.port2.start();
  hop2.port1.postMessage(null, [first]);
  channel.port1.postMessage(3);
  const second = (await next(hop2.port2)).ports[0]!;
  const received = record(second);
  second.start();
  await until(() => received.length === 3, 'three messages');
  assert.deepEqual(payloads(received), [1, 2, 3]);
  closeAll(channel.port1, second, hop1.port1, hop1.port2, hop2.port1, hop2.port2);
});

// --- Item 19: the message task ---

test('spec 19: the message is dispatched at the port that holds the task when it runs (finalTargetPort)', async () => {
  const channel = new MessageChannel();
  channel.port2.start();
  channel.port1.postMessage('in flight');
  // Before the task runs, the target is shipped to a new port.
  const moved = structuredClone(channel.port2, { transfer: [channel.port2] });
  const received = record(moved);
  moved.start();
  await until(() => received.length === 1, 'the message at the new port');
  assert.equal(received[0]!.target, moved);
  assert.equal(received[0]!.data, 'in flight');
  closeAll(channel.port1, moved);
});

test('spec 19: ports lists the transferred MessagePorts in transfer-list order; ArrayBuffers are not in it', async () => {
  const { port1, port2 } = new MessageChannel();
  const a = new MessageChannel();
  const b = new MessageChannel();
  const buffer = new Uint8Array([1, 2, 3]).buffer;
  port2.start();
  port1.postMessage({ b: b.port1, buffer, a: a.port1 }, [buffer, b.port1, a.port1]);
  const event = await next(port2);
  assert.equal(event.ports.length, 2);
  const data = event.data as { a: MessagePort; b: MessagePort; buffer: ArrayBuffer };
  assert.equal(event.ports[0], data.b);
  assert.equal(event.ports[1], data.a);
  assert.ok(data.buffer instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(data.buffer)], [1, 2, 3]);
  // Each received port is entangled with the right peer.
  const [receivedB, receivedA] = event.ports as [MessagePort, MessagePort];
  const atA = record(receivedA);
  const atB = record(receivedB);
  receivedA.start();
  receivedB.start();
  a.port2.postMessage('to a');
  b.port2.postMessage('to b');
  await until(() => atA.length === 1 && atB.length === 1, 'one message at each received port');
  assert.deepEqual(payloads(atA), ['to a']);
  assert.deepEqual(payloads(atB), ['to b']);
  closeAll(port1, port2, receivedA, receivedB, a.port2, b.port2);
});

test('spec 19: a port transferred but not referenced by the message is still in ports', async () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  port2.start();
  port1.postMessage('no reference', [other.port1]);
  const event = await next(port2);
  assert.equal(event.data, 'no reference');
  assert.equal(event.ports.length, 1);
  closeAll(port1, port2, event.ports[0]!, other.port2);
});

test('spec 19: a message that fails to deserialize fires messageerror, with the default MessageEvent fields', sameNodeOnly('the test plants malformed records in a same-node queue; test/realm covers undecodable bytes'), async () => {
  const { port1, port2 } = new MessageChannel();
  const messages = record(port2);
  const errors = record(port2, 'messageerror');
  port2.start();
  enqueueMalformed(port2);
  await until(() => errors.length === 1, 'messageerror');
  await settle();
  assert.deepEqual(messages, []);
  const event = errors[0]!;
  assert.ok(event instanceof MessageEvent);
  assert.equal(event.type, 'messageerror');
  assert.equal(event.target, port2);
  assert.equal(event.bubbles, false);
  assert.equal(event.cancelable, false);
  assert.equal(event.data, null);
  assert.equal(event.origin, '');
  assert.equal(event.lastEventId, '');
  assert.equal(event.source, null);
  assert.deepEqual(event.ports, []);
  assert.ok(Object.isFrozen(event.ports));
  closeAll(port1, port2);
});

// A test of its own: in browsers this one is a documented deviation (docs/deviations.md).
test('spec 19: the messageerror event is trusted', sameNodeOnly('the test plants malformed records in a same-node queue; test/realm covers undecodable bytes'), async () => {
  const { port1, port2 } = new MessageChannel();
  const errors = record(port2, 'messageerror');
  port2.start();
  enqueueMalformed(port2);
  await until(() => errors.length === 1, 'messageerror');
  assert.equal(errors[0]!.isTrusted, true);
  closeAll(port1, port2);
});

test('spec 19: onmessageerror receives messageerror, and the next message is still delivered', sameNodeOnly('the test plants malformed records in a same-node queue; test/realm covers undecodable bytes'), async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port2.onmessageerror = (event: MessageEvent) => log.push(`error ${event.type}`);
  port2.onmessage = (event: MessageEvent) => log.push(`message ${event.data}`);
  port1.postMessage('before');
  enqueueMalformed(port2);
  port1.postMessage('after');
  await until(() => log.length === 3, 'three events');
  assert.deepEqual(log, ['message before', 'error messageerror', 'message after']);
  closeAll(port1, port2);
});

test('spec 19: a message that fails to deserialize waits, like any message, until the port is started', sameNodeOnly('the test plants malformed records in a same-node queue; test/realm covers undecodable bytes'), async () => {
  const { port1, port2 } = new MessageChannel();
  const errors = record(port2, 'messageerror');
  enqueueMalformed(port2);
  await settle();
  assert.deepEqual(errors, []);
  port2.start();
  await until(() => errors.length === 1, 'messageerror');
  closeAll(port1, port2);
});
