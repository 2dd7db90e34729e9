// The extensions named after Node's: receiveMessageOnPort(port), and port.ref() / unref() /
// hasRef(). Not in the HTML Standard; documented in the README.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, type MessageEvent, MessagePort, receiveMessageOnPort, structuredClone } from '../../src/index.ts';
import { closeAll, next, payloads, record, sameNodeOnly, settle, until } from './helpers.ts';

// --- receiveMessageOnPort ---

test('extension: receiveMessageOnPort takes a message from a port that is not started', sameNodeOnly('a message from another node is not there synchronously after postMessage'), () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage({ n: 1 });
  assert.deepEqual(receiveMessageOnPort(port2), { message: { n: 1 } });
  closeAll(port1, port2);
});

test('extension: receiveMessageOnPort returns undefined when nothing is queued', () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(receiveMessageOnPort(port2), undefined);
  port1.postMessage(1);
  receiveMessageOnPort(port2);
  assert.equal(receiveMessageOnPort(port2), undefined);
  closeAll(port1, port2);
});

test('extension: receiveMessageOnPort distinguishes an undefined message from no message', sameNodeOnly('a message from another node is not there synchronously after postMessage'), () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(undefined);
  const result = receiveMessageOnPort(port2);
  assert.ok(result !== undefined);
  assert.ok('message' in result);
  assert.equal(result.message, undefined);
  closeAll(port1, port2);
});

test('extension: receiveMessageOnPort takes messages oldest first', sameNodeOnly('a message from another node is not there synchronously after postMessage'), () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage('a');
  port1.postMessage('b');
  assert.equal(receiveMessageOnPort(port2)?.message, 'a');
  assert.equal(receiveMessageOnPort(port2)?.message, 'b');
  closeAll(port1, port2);
});

test('extension: receiveMessageOnPort does not start the port, and a taken message is not dispatched again', sameNodeOnly('a message from another node is not there synchronously after postMessage'), async () => {
  const { port1, port2 } = new MessageChannel();
  const received = record(port2);
  port1.postMessage('taken');
  port1.postMessage('dispatched');
  assert.equal(receiveMessageOnPort(port2)?.message, 'taken');
  await settle();
  assert.deepEqual(received, [], 'still not started');
  port2.start();
  await until(() => received.length === 1, 'the remaining message');
  await settle();
  assert.deepEqual(payloads(received), ['dispatched']);
  closeAll(port1, port2);
});

test('extension: receiveMessageOnPort on a started port with tasks queued: no message twice, none lost', sameNodeOnly('a message from another node is not there synchronously after postMessage'), async () => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  port2.onmessage = (event: MessageEvent) => received.push(event.data);
  port1.postMessage(1);
  port1.postMessage(2);
  port1.postMessage(3);
  assert.equal(receiveMessageOnPort(port2)?.message, 1);
  await until(() => received.length === 2, 'the two other messages');
  await settle();
  assert.deepEqual(received, [2, 3]);
  closeAll(port1, port2);
});

test('extension: receiveMessageOnPort keeps the global posting order of the messages left (spec 12)', sameNodeOnly("spec 12's global order is across unshipped ports, which never have a peer on another node"), async () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  const log: string[] = [];
  a.port2.onmessage = (event: MessageEvent) => log.push(`a:${event.data}`);
  b.port2.onmessage = (event: MessageEvent) => log.push(`b:${event.data}`);
  a.port1.postMessage(1);
  assert.equal(receiveMessageOnPort(a.port2)?.message, 1);
  b.port1.postMessage(2);
  a.port1.postMessage(3);
  await until(() => log.length === 2, 'two messages');
  assert.deepEqual(log, ['b:2', 'a:3']);
  closeAll(a.port1, a.port2, b.port1, b.port2);
});

test('extension: receiveMessageOnPort on a started port that is then transferred: no message twice, none lost', sameNodeOnly('a message from another node is not there synchronously after postMessage'), async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage(1);
  port1.postMessage(2);
  assert.equal(receiveMessageOnPort(port2)?.message, 1);
  const moved = structuredClone(port2, { transfer: [port2] });
  const received = record(moved);
  moved.start();
  assert.equal(receiveMessageOnPort(moved)?.message, 2);
  port1.postMessage(3);
  port1.postMessage(4);
  await until(() => received.length === 2, 'the two later messages');
  await settle();
  assert.deepEqual(payloads(received), [3, 4]);
  closeAll(port1, moved);
});

test('extension: receiveMessageOnPort delivers transferred ports inside the message', sameNodeOnly('a message from another node is not there synchronously after postMessage'), async () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  port1.postMessage({ port: other.port1 }, [other.port1]);
  const result = receiveMessageOnPort(port2) as { message: { port: MessagePort } };
  assert.ok(result.message.port instanceof MessagePort);
  result.message.port.start();
  other.port2.postMessage('through');
  assert.equal((await next(result.message.port)).data, 'through');
  closeAll(port1, port2, result.message.port, other.port2);
});

test('extension: receiveMessageOnPort on a closed or transferred port returns undefined', () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage('x');
  port2.close();
  assert.equal(receiveMessageOnPort(port2), undefined);
  const other = new MessageChannel();
  other.port1.postMessage('y');
  const moved = structuredClone(other.port2, { transfer: [other.port2] });
  assert.equal(receiveMessageOnPort(other.port2), undefined);
  closeAll(port1, other.port1, moved);
});

// --- ref / unref / hasRef ---

test('extension: hasRef is false for a port without a message listener', () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(port1.hasRef(), false);
  port1.start();
  assert.equal(port1.hasRef(), false, 'start() alone does not count');
  port1.onclose = () => {};
  assert.equal(port1.hasRef(), false, 'a close handler does not count');
  closeAll(port1, port2);
});

test('extension: hasRef is true once onmessage is set, false again when it is set to null', () => {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {};
  assert.equal(port1.hasRef(), true);
  port1.onmessage = null;
  assert.equal(port1.hasRef(), false);
  closeAll(port1, port2);
});

test('extension: hasRef follows message listeners added and removed with addEventListener', () => {
  const { port1, port2 } = new MessageChannel();
  const a = (): void => {};
  const b = (): void => {};
  port1.addEventListener('message', a);
  assert.equal(port1.hasRef(), true);
  port1.addEventListener('message', b);
  port1.removeEventListener('message', a);
  assert.equal(port1.hasRef(), true, 'b still listens');
  port1.removeEventListener('message', b);
  assert.equal(port1.hasRef(), false);
  // Capture and non-capture registrations are distinct.
  port1.addEventListener('message', a, true);
  port1.removeEventListener('message', a);
  assert.equal(port1.hasRef(), true, 'the capturing registration remains');
  port1.removeEventListener('message', a, { capture: true });
  assert.equal(port1.hasRef(), false);
  closeAll(port1, port2);
});

test('extension: unref() makes hasRef false, ref() makes it true again', () => {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {};
  port1.unref();
  assert.equal(port1.hasRef(), false);
  port1.ref();
  assert.equal(port1.hasRef(), true);
  port1.unref();
  port1.unref();
  port1.ref();
  assert.equal(port1.hasRef(), true, 'ref/unref are flags, not counters');
  closeAll(port1, port2);
});

test('extension: an unref()ed port still receives messages', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  port2.onmessage = (event: MessageEvent) => received.push(event.data);
  port2.unref();
  port1.postMessage('still');
  await until(() => received.length === 1, 'the message');
  closeAll(port1, port2);
});

test('extension: hasRef is false after close(), unlike Node', () => {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {};
  assert.equal(port1.hasRef(), true);
  port1.close();
  assert.equal(port1.hasRef(), false);
  port1.ref();
  assert.equal(port1.hasRef(), false, 'ref() does not revive a closed port');
  port2.close();
});

test('extension: ref, unref and hasRef return undefined / a boolean and never throw on a detached port', () => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  assert.equal(port1.ref(), undefined);
  assert.equal(port1.unref(), undefined);
  assert.equal(port1.hasRef(), false);
  port2.close();
});
