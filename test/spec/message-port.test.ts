// MessagePort as an EventTarget, its port message queue, start() and onmessage: items 3, 8, 9,
// 10 and 20 of shared/spec/channel-messaging.md.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, MessagePort } from '../../src/index.ts';
import { closeAll, next, payloads, record, settle, until } from './helpers.ts';

test('spec 3: MessagePort is an EventTarget and message events are dispatched at the port itself', async () => {
  const { port1, port2 } = new MessageChannel();
  assert.ok(port2 instanceof EventTarget);
  let currentTarget: EventTarget | null = null;
  let thisValue: unknown;
  port2.addEventListener('message', function (this: unknown, event) {
    currentTarget = event.currentTarget;
    thisValue = this;
  });
  port2.start();
  port1.postMessage('x');
  const event = await next(port2);
  assert.equal(event.target, port2);
  assert.equal(currentTarget, port2);
  assert.equal(thisValue, port2);
  closeAll(port1, port2);
});

test('spec 3: the onmessage handler is called with the port as this', async () => {
  const { port1, port2 } = new MessageChannel();
  let thisValue: unknown;
  port2.onmessage = function (this: unknown) {
    thisValue = this;
  };
  port1.postMessage('x');
  await until(() => thisValue !== undefined, 'onmessage');
  assert.equal(thisValue, port2);
  closeAll(port1, port2);
});

test('spec 3: a MessageEvent dispatched by script at a port reaches onmessage and listeners', () => {
  const { port1, port2 } = new MessageChannel();
  const seen: unknown[] = [];
  port1.onmessage = (event: MessageEvent) => seen.push(['handler', event.data]);
  port1.addEventListener('message', (event) => seen.push(['listener', (event as MessageEvent).data]));
  port1.dispatchEvent(new MessageEvent('message', { data: 7 }));
  assert.deepEqual(seen, [['handler', 7], ['listener', 7]]);
  closeAll(port1, port2);
});

test('spec 8: messages to a port that is not started are queued, not dispatched and not lost', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port1.postMessage(1);
  port1.postMessage(2);
  await settle();
  assert.deepEqual(received, []);
  port2.start();
  await until(() => received.length === 2, 'the queued messages');
  assert.deepEqual(payloads(received), [1, 2]);
  closeAll(port1, port2);
});

test('spec 8: once enabled the queue stays enabled, even when onmessage is set back to null', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = () => {};
  port2.onmessage = null;
  const received = record(port2);
  port1.postMessage('still delivered');
  await until(() => received.length === 1, 'a message after onmessage = null');
  assert.deepEqual(payloads(received), ['still delivered']);
  closeAll(port1, port2);
});

test('spec 8: messages queued at both ports of a channel wait independently', async () => {
  const { port1, port2 } = new MessageChannel();
  const at1 = record(port1);
  const at2 = record(port2);
  port1.postMessage('to 2');
  port2.postMessage('to 1');
  port1.start();
  await until(() => at1.length === 1, 'port1 message');
  await settle();
  assert.deepEqual(at2, []);
  port2.start();
  await until(() => at2.length === 1, 'port2 message');
  assert.deepEqual(payloads(at1), ['to 1']);
  assert.deepEqual(payloads(at2), ['to 2']);
  closeAll(port1, port2);
});

test('spec 9: start() enables the queue and is idempotent (no message twice)', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port1.postMessage('a');
  port2.start();
  port2.start();
  port1.postMessage('b');
  port2.start();
  await until(() => received.length >= 2, 'two messages');
  await settle();
  assert.deepEqual(payloads(received), ['a', 'b']);
  closeAll(port1, port2);
});

test('spec 9: calling start() again does not let a port\'s later messages overtake other ports\' (spec 12)', async () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  const log: string[] = [];
  a.port2.addEventListener('message', (event) => log.push(`a:${(event as MessageEvent).data}`));
  b.port2.addEventListener('message', (event) => log.push(`b:${(event as MessageEvent).data}`));
  a.port1.postMessage(1);
  a.port2.start();
  a.port2.start();
  b.port2.start();
  b.port1.postMessage(2);
  a.port1.postMessage(3);
  await until(() => log.length === 3, 'three messages');
  assert.deepEqual(log, ['a:1', 'b:2', 'a:3']);
  closeAll(a.port1, a.port2, b.port1, b.port2);
});

test('spec 9: start() returns undefined and is a no-op on a closed port', () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(port1.start(), undefined);
  port1.close();
  assert.equal(port1.start(), undefined);
  port2.close();
});

test('spec 10: addEventListener does not start the port', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port1.postMessage('waits');
  await settle();
  assert.deepEqual(received, []);
  port2.start();
  await until(() => received.length === 1, 'the message after start()');
  closeAll(port1, port2);
});

test('spec 10: setting onmessage the first time starts the port', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  port1.postMessage('queued before');
  await settle();
  port2.onmessage = (event: MessageEvent) => received.push(event.data);
  port1.postMessage('posted after');
  await until(() => received.length === 2, 'both messages');
  assert.deepEqual(received, ['queued before', 'posted after']);
  closeAll(port1, port2);
});

test('spec 10: setting onmessage, even to null, enables the queue as start() would', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = null;
  const received = record(port2);
  port1.postMessage('x');
  await until(() => received.length === 1, 'the message');
  closeAll(port1, port2);
});

test('spec 10: setting onmessageerror does not start the port', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessageerror = () => {};
  const received = record(port2);
  port1.postMessage('waits');
  await settle();
  assert.deepEqual(received, []);
  port2.start();
  await until(() => received.length === 1, 'the message after start()');
  closeAll(port1, port2);
});

test('spec 10: setting onclose does not start the port', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onclose = () => {};
  const received = record(port2);
  port1.postMessage('waits');
  await settle();
  assert.deepEqual(received, []);
  closeAll(port1, port2);
});

test('spec 10: onmessage is an event handler attribute: getter, replacement in place, non-callable → null', async () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(port2.onmessage, null);
  const order: string[] = [];
  const first = (): void => void order.push('first');
  const second = (): void => void order.push('second');
  port2.onmessage = first;
  assert.equal(port2.onmessage, first);
  port2.addEventListener('message', () => order.push('listener'));
  // Replacing the handler keeps its position before the listener added later.
  port2.onmessage = second;
  assert.equal(port2.onmessage, second);
  port1.postMessage(null);
  await until(() => order.length === 2, 'two callbacks');
  assert.deepEqual(order, ['second', 'listener']);
  (port2 as { onmessage: unknown }).onmessage = 42;
  assert.equal(port2.onmessage, null);
  (port2 as { onmessageerror: unknown }).onmessageerror = 'x';
  assert.equal(port2.onmessageerror, null);
  closeAll(port1, port2);
});

test('spec 10: a non-callable object as onmessage is kept, enables the queue, and is not invoked (no exception)', async () => {
  const { port1, port2 } = new MessageChannel();
  let handleEventCalled = false;
  const handler = { handleEvent: () => (handleEventCalled = true) };
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);
  process.prependListener('uncaughtException', onUncaught);
  try {
    (port2 as { onmessage: unknown }).onmessage = handler;
    assert.equal(port2.onmessage, handler);
    const received = record(port2);
    port1.postMessage('x');
    await until(() => received.length === 1, 'the message at the listener');
    await settle();
    assert.equal(handleEventCalled, false);
    assert.deepEqual(uncaught, []);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
  }
  closeAll(port1, port2);
});

test('spec 10: a handler that returns false cancels nothing (message events are not cancelable)', async () => {
  const { port1, port2 } = new MessageChannel();
  let event: MessageEvent | undefined;
  port2.onmessage = (e: MessageEvent) => {
    event = e;
    return false;
  };
  port1.postMessage(null);
  await until(() => event !== undefined, 'the message');
  assert.equal(event!.defaultPrevented, false);
  closeAll(port1, port2);
});

test('spec 20: postMessage returns undefined, whether the message is delivered or dropped', () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(port1.postMessage('x'), undefined);
  assert.equal(port1.postMessage('x', []), undefined);
  assert.equal(port1.postMessage('x', { transfer: [] }), undefined);
  port2.close();
  assert.equal(port1.postMessage('dropped'), undefined);
  port1.close();
  assert.equal(port1.postMessage('dropped'), undefined);
});

test('spec 1: MessagePort.prototype has the interface members, enumerable', () => {
  for (const name of ['postMessage', 'start', 'close', 'onmessage', 'onmessageerror', 'onclose']) {
    const descriptor = Object.getOwnPropertyDescriptor(MessagePort.prototype, name);
    assert.ok(descriptor !== undefined, name);
    assert.equal(descriptor.enumerable, true, name);
  }
});

test('spec 1–3: the prototypes expose the IDL members and the documented extensions, nothing internal', () => {
  const own = (proto: object) => Reflect.ownKeys(proto).map(String).sort();
  assert.deepEqual(own(MessagePort.prototype), [
    'Symbol(Symbol.toStringTag)',
    // DEVIATION(item 26), docs/deviations.md: overridden to see message listeners come and go.
    'addEventListener', 'close', 'constructor', 'hasRef', 'onclose', 'onmessage', 'onmessageerror',
    'postMessage', 'ref', 'removeEventListener', 'start', 'unref',
    // RTCDataChannel's convention, for ports whose peer is on another node.
    'bufferedAmount', 'bufferedAmountLowThreshold', 'onbufferedamountlow',
  ].sort());
  assert.deepEqual(own(MessageChannel.prototype), ['Symbol(Symbol.toStringTag)', 'constructor', 'port1', 'port2'].sort());
  assert.deepEqual(own(MessageEvent.prototype), [
    'Symbol(Symbol.toStringTag)', 'constructor', 'data', 'initMessageEvent', 'isTrusted', 'lastEventId', 'origin', 'ports', 'source',
  ].sort());
});
