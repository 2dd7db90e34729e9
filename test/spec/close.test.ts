// close(), disentangling and the `close` event: items 7, 25, 27 and 28 of
// shared/spec/channel-messaging.md, with this project's documented choices (the event is
// fired from a task, after the messages already queued as tasks at the other port).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, MessagePort, structuredClone } from '../../src/index.ts';
import { dataOf } from '../../src/spec/message-port.ts';
import { closeAll, next, record, settle, until } from './helpers.ts';

const isDataCloneError = (error: unknown): boolean => error instanceof DOMException && error.name === 'DataCloneError';

// --- Item 7: disentangle fires close at the other port ---

test('spec 7: close() fires a plain Event named close at the other port', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  const event = await next<Event>(port2, 'close');
  assert.equal(Object.getPrototypeOf(event), Event.prototype);
  assert.ok(!(event instanceof MessageEvent));
  assert.equal(event.type, 'close');
  assert.equal(event.bubbles, false);
  assert.equal(event.cancelable, false);
  assert.equal(event.target, port2);
  port2.close();
});

// A test of its own: in browsers this one is a documented deviation (docs/deviations.md).
test('spec 7: the close event is trusted', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  assert.equal((await next<Event>(port2, 'close')).isTrusted, true);
  port2.close();
});

test('spec 7: after close() the other port is no longer entangled: what it posts goes nowhere', async () => {
  const { port1, port2 } = new MessageChannel();
  const atPort1 = record(port1);
  port1.start();
  port1.close();
  await next<Event>(port2, 'close');
  assert.equal(dataOf(port2)!.peer, null);
  port2.postMessage('nobody');
  await settle();
  assert.deepEqual(atPort1, []);
  port2.close();
});

// --- Item 27: the close event, as specified ---

test('spec 27: close is never fired at the port that called close()', async () => {
  const { port1, port2 } = new MessageChannel();
  const atInitiator = record(port1, 'close');
  let handlerCalled = false;
  port1.onclose = () => (handlerCalled = true);
  const atOther = record(port2, 'close');
  port1.close();
  await until(() => atOther.length === 1, 'close at the other port');
  await settle();
  assert.deepEqual(atInitiator, []);
  assert.equal(handlerCalled, false);
  port2.close();
});

test('spec 27: the onclose handler attribute receives close', async () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(port2.onclose, null);
  const seen: Event[] = [];
  const handler = (event: Event): void => void seen.push(event);
  port2.onclose = handler;
  assert.equal(port2.onclose, handler);
  port1.close();
  await until(() => seen.length === 1, 'onclose');
  assert.equal(seen[0]!.type, 'close');
  assert.equal(seen[0]!.target, port2);
  (port2 as { onclose: unknown }).onclose = 'not callable';
  assert.equal(port2.onclose, null);
  port2.close();
});

test('spec 27: close is fired once, however often close() is called', async () => {
  const { port1, port2 } = new MessageChannel();
  const closes = record(port2, 'close');
  port1.close();
  port1.close();
  await until(() => closes.length === 1, 'close');
  port1.close();
  await settle();
  assert.equal(closes.length, 1);
  port2.close();
});

test('spec 27: when both ports close, each one-sided close fires at most once and never at an initiator', async () => {
  const { port1, port2 } = new MessageChannel();
  const at1 = record(port1, 'close');
  const at2 = record(port2, 'close');
  port1.close();
  await until(() => at2.length === 1, 'close at port2');
  port2.close();
  await settle();
  assert.equal(at1.length, 0);
  assert.equal(at2.length, 1);
});

test('spec 27: close fires at a port that was never started', async () => {
  const { port1, port2 } = new MessageChannel();
  const closes = record(port2, 'close');
  const messages = record(port2);
  port1.close();
  await until(() => closes.length === 1, 'close at the unstarted port');
  assert.deepEqual(messages, []);
  port2.close();
});

test('spec 27: a port in transit inside a message gets close once it is received', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  carrier.port1.postMessage(null, [channel.port2]);
  // The carrier's receiver is not started: channel.port2 is in transit while its peer closes.
  channel.port1.close();
  await settle();
  carrier.port2.start();
  const moved = (await next(carrier.port2)).ports[0]!;
  const closes = record(moved, 'close');
  await until(() => closes.length === 1, 'close at the received port');
  assert.equal(closes[0]!.target, moved);
  await settle();
  assert.equal(closes.length, 1);
  closeAll(moved, carrier.port1, carrier.port2);
});

test('spec 27: a received port gets close when its original peer closes', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage(null, [channel.port2]);
  const moved = (await next(carrier.port2)).ports[0]!;
  const closes = record(moved, 'close');
  const atOld = record(channel.port2, 'close');
  channel.port1.close();
  await until(() => closes.length === 1, 'close at the received port');
  await settle();
  assert.deepEqual(atOld, [], 'not at the detached old object');
  closeAll(moved, carrier.port1, carrier.port2);
});

test('spec 27: closing a received port fires close at its original peer', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage(null, [channel.port2]);
  const moved = (await next(carrier.port2)).ports[0]!;
  const closes = record(channel.port1, 'close');
  moved.close();
  await until(() => closes.length === 1, 'close at the original peer');
  closeAll(channel.port1, carrier.port1, carrier.port2);
});

test('spec 27: close() on a detached (transferred) port object fires nothing and closes nothing', async () => {
  const channel = new MessageChannel();
  const moved = structuredClone(channel.port2, { transfer: [channel.port2] });
  const closes = record(channel.port1, 'close');
  channel.port2.close();
  await settle();
  assert.deepEqual(closes, []);
  closeAll(channel.port1, moved);
});

// --- Item 25: close() and in-flight messages ---

test('spec 25: messages posted before close() to a started port are delivered before close', async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port2.onmessage = (event: MessageEvent) => log.push(`message ${event.data}`);
  port2.onclose = () => log.push('close');
  port1.postMessage('a');
  port1.postMessage('b');
  port1.close();
  await until(() => log.length === 3, 'two messages and close');
  assert.deepEqual(log, ['message a', 'message b', 'close']);
  port2.close();
});

test('spec 25: messages to a port that is not started survive the sender\'s close() and arrive once it starts', async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port2.addEventListener('message', (event) => log.push(`message ${(event as MessageEvent).data}`));
  port2.addEventListener('close', () => log.push('close'));
  port1.postMessage('a');
  port1.postMessage('b');
  port1.close();
  await until(() => log.length === 1, 'close');
  assert.deepEqual(log, ['close']);
  port2.start();
  await until(() => log.length === 3, 'the queued messages');
  assert.deepEqual(log, ['close', 'message a', 'message b']);
  port2.close();
});

test('spec 25: close() drops the messages still queued at the closing port', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port1.postMessage('never seen');
  port2.close();
  port2.start();
  port2.onmessage = () => {};
  await settle();
  assert.deepEqual(received, []);
  port1.close();
});

test('spec 25: close() on a started port drops messages whose tasks are already queued', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port2.start();
  port1.postMessage('queued as a task');
  port2.close();
  await settle();
  assert.deepEqual(received, []);
  port1.close();
});

test('spec 25: close() inside a message handler stops the delivery of the messages still queued', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  port2.onmessage = (event: MessageEvent) => {
    received.push(event.data);
    port2.close();
  };
  port1.postMessage(1);
  port1.postMessage(2);
  port1.postMessage(3);
  await until(() => received.length >= 1, 'the first message');
  await settle();
  assert.deepEqual(received, [1]);
  port1.close();
});

test('spec 25: ports inside messages dropped by close() are closed: their peers get close', async () => {
  const { port1, port2 } = new MessageChannel();
  const inner = new MessageChannel();
  const innerCloses = record(inner.port2, 'close');
  port1.postMessage('carrying a port', [inner.port1]);
  port2.close();
  await until(() => innerCloses.length === 1, 'close at the peer of the dropped port');
  closeAll(port1, inner.port2);
});

test('spec 25: a closed port cannot be transferred (DataCloneError), while its former peer can', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  const carrier = new MessageChannel();
  assert.throws(() => carrier.port1.postMessage(null, [port1]), isDataCloneError);
  assert.throws(() => structuredClone(port1, { transfer: [port1] }), isDataCloneError);
  carrier.port2.start();
  carrier.port1.postMessage(null, [port2]);
  const moved = (await next(carrier.port2)).ports[0]!;
  assert.ok(moved instanceof MessagePort);
  closeAll(moved, carrier.port1, carrier.port2);
});

test('spec 25: a port whose peer closed is received disentangled: no close fires again, posts go nowhere', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  await next<Event>(port2, 'close');
  const moved = structuredClone(port2, { transfer: [port2] });
  const closes = record(moved, 'close');
  moved.postMessage('nowhere');
  await settle();
  assert.deepEqual(closes, []);
  moved.close();
});

test('spec 25: close() returns undefined and is idempotent', () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(port1.close(), undefined);
  assert.equal(port1.close(), undefined);
  port2.close();
});

test('spec 25: a closed port receives nothing, even messages posted to it before it closed', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  port1.postMessage('before');
  port2.close();
  port1.postMessage('after');
  port2.onmessage = (event: MessageEvent) => received.push(event.data);
  await settle();
  assert.deepEqual(received, []);
  port1.close();
});

// --- Item 28: what this project does where Node differs ---

test('spec 28: MessagePort has an onclose event handler attribute', () => {
  const descriptor = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onclose');
  assert.ok(descriptor?.get !== undefined && descriptor.set !== undefined);
  assert.throws(() => descriptor.get!.call({}), TypeError);
  assert.throws(() => descriptor.set!.call({}, null), TypeError);
});

test('spec 28: close fires at the other port only, not at both as in Node', async () => {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  port1.addEventListener('close', () => log.push('port1'));
  port2.addEventListener('close', () => log.push('port2'));
  port2.close();
  await until(() => log.length >= 1, 'a close event');
  await settle();
  assert.deepEqual(log, ['port1']);
  port1.close();
});

test('spec 28: a close listener added after close() but before the task runs still sees the event', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  // Fired from a task: a listener added synchronously after close() is in time.
  const closes = record(port2, 'close');
  await until(() => closes.length === 1, 'close');
  assert.equal(closes[0]!.type, 'close');
  port2.close();
});
