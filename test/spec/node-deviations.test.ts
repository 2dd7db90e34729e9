// Where Node's built-in MessageChannel deviates from the HTML Standard (§10 of
// shared/spec/channel-messaging.md), each case as entangle must get it right. The item number
// in each name is the requirement that Node's behaviour breaks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, type MessagePort, structuredClone } from '../../src/index.ts';
import { closeAll, next, record, settle, until } from './helpers.ts';

const isDataCloneError = (error: unknown): boolean => error instanceof DOMException && error.name === 'DataCloneError';

test('spec 10 (Node §10): addEventListener("message") does not start the port', async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port1.postMessage('waits for start()');
  await settle();
  assert.equal(received.length, 0);
  port2.start();
  await until(() => received.length === 1, 'the message');
  closeAll(port1, port2);
});

test('spec 21 (Node §10): event.ports is frozen on port messages', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage(null);
  const event = await next(port2);
  assert.ok(Object.isFrozen(event.ports));
  closeAll(port1, port2);
});

// A test of its own: in browsers this one is a documented deviation (docs/deviations.md).
test('spec 21 (Node §10): isTrusted is true on port messages', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage(null);
  assert.equal((await next(port2)).isTrusted, true);
  closeAll(port1, port2);
});

test('spec 21 (Node §10): postMessage(undefined) arrives as undefined; postMessage returns undefined', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  assert.equal(port1.postMessage(undefined), undefined);
  const event = await next(port2);
  assert.equal(event.data, undefined);
  closeAll(port1, port2);
});

test('spec 11 (Node §10): a re-posting handler does not drain ~1000 messages before a setTimeout(0)', async () => {
  const { port1, port2 } = new MessageChannel();
  let count = 0;
  let countAtTimer = -1;
  port2.onmessage = () => {
    if (++count === 1) setTimeout(() => (countAtTimer = count), 0);
    if (countAtTimer < 0 && count < 100_000) port1.postMessage(null);
  };
  port1.postMessage(null);
  await until(() => countAtTimer >= 0, 'the timer', 100_000);
  assert.ok(countAtTimer < 1000, `timer fired after ${countAtTimer} messages`);
  closeAll(port1, port2);
});

test('spec 29.3 (Node §10): re-transferring a detached ArrayBuffer throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = new ArrayBuffer(8);
  port1.postMessage(null, [buffer]);
  assert.equal(buffer.byteLength, 0);
  assert.throws(() => port1.postMessage(null, [buffer]), isDataCloneError);
  closeAll(port1, port2);
});

test('spec 33 (Node §10): a Blob in the transfer list throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  const blob = new Blob(['x']);
  assert.throws(() => port1.postMessage(blob, [blob]), isDataCloneError);
  assert.throws(() => structuredClone(blob, { transfer: [blob as unknown as Transferable] }), isDataCloneError);
  closeAll(port1, port2);
});

test('spec 27 (Node §10): close() fires close at the other port only, and onclose exists', async () => {
  const { port1, port2 } = new MessageChannel();
  const at1 = record(port1, 'close');
  let onclose = 0;
  port2.onclose = () => onclose++;
  port1.close();
  await until(() => onclose === 1, 'onclose at the other port');
  await settle();
  assert.equal(at1.length, 0);
  assert.equal(onclose, 1);
  port2.close();
});

test('spec 29.3 (Node §10): a getter that transfers a port also in the outer transfer list → DataCloneError, and the process keeps running', async () => {
  const outer = new MessageChannel();
  const target = new MessageChannel();
  const elsewhere = new MessageChannel();
  const outerReceived = record(outer.port2);
  outer.port2.start();
  const message = {
    get sneaky(): string {
      elsewhere.port1.postMessage('stolen', [target.port1]);
      return 'value';
    },
  };
  assert.throws(() => outer.port1.postMessage(message, [target.port1]), isDataCloneError);
  // The outer message was not sent; the port went where the getter sent it, still entangled.
  elsewhere.port2.start();
  const event = await next(elsewhere.port2);
  assert.equal(event.data, 'stolen');
  const moved = event.ports[0] as MessagePort;
  moved.start();
  target.port2.postMessage('still alive');
  assert.equal((await next(moved)).data, 'still alive');
  await settle();
  assert.equal(outerReceived.length, 0);
  closeAll(outer.port1, outer.port2, elsewhere.port1, elsewhere.port2, moved, target.port2);
});

test('spec 29.3 (Node §10): the same getter case through structuredClone throws DataCloneError', () => {
  const target = new MessageChannel();
  const elsewhere = new MessageChannel();
  const message = {
    get sneaky(): number {
      elsewhere.port1.postMessage(null, [target.port1]);
      return 1;
    },
  };
  assert.throws(() => structuredClone(message, { transfer: [target.port1] }), isDataCloneError);
  closeAll(elsewhere.port1, elsewhere.port2, target.port2);
});

test('spec 22 (Node §10): new MessageEvent("message", { source: globalThis }) throws TypeError', () => {
  assert.throws(
    () => new MessageEvent('message', { source: globalThis }),
    (error) => error instanceof TypeError && (error as { code?: unknown }).code === undefined,
  );
});
