// WebIDL argument conversion, overload resolution and brand checks: item 4 of
// shared/spec/channel-messaging.md, and the TypeErrors of methods called on the wrong `this`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, MessagePort, receiveMessageOnPort } from '../../src/index.ts';
import { closeAll, next } from './helpers.ts';

const isDataCloneError = (error: unknown): boolean => error instanceof DOMException && error.name === 'DataCloneError';

/** A TypeError, and not a DOMException of any name. */
const isTypeError = (error: unknown): boolean => error instanceof TypeError;

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

type LoosePost = (message?: unknown, transfer?: unknown) => void;

function loose(port: MessagePort): LoosePost {
  return port.postMessage.bind(port) as LoosePost;
}

test('spec 4: postMessage() with no arguments throws TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => loose(port1)(), isTypeError);
  closeAll(port1, port2);
});

test('spec 4: postMessage has length 1', () => {
  assert.equal(MessagePort.prototype.postMessage.length, 1);
});

test('spec 4: a second argument of undefined or null means the default options', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  loose(port1)('u', undefined);
  assert.equal((await next(port2)).data, 'u');
  loose(port1)('n', null);
  assert.equal((await next(port2)).data, 'n');
  closeAll(port1, port2);
});

test('spec 4: an iterable second argument is the transfer sequence: a generator', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1, 2);
  loose(port1)(null, (function* () {
    yield buffer;
  })());
  assert.equal(buffer.byteLength, 0);
  closeAll(port1, port2);
});

test('spec 4: an iterable second argument is the transfer sequence: a Set', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1, 2);
  loose(port1)(null, new Set([buffer]));
  assert.equal(buffer.byteLength, 0);
  closeAll(port1, port2);
});

test('spec 4: an array is iterated through its current @@iterator, not indexed', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  const other = bytes(2);
  const list: ArrayBuffer[] = [buffer];
  (list as unknown as { [Symbol.iterator]: () => Iterator<ArrayBuffer> })[Symbol.iterator] = function* () {
    yield other;
  };
  loose(port1)(null, list);
  assert.equal(buffer.byteLength, 1);
  assert.equal(other.byteLength, 0);
  closeAll(port1, port2);
});

test('spec 4: a non-iterable object second argument is an options dictionary', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1, 2);
  loose(port1)(null, { transfer: [buffer], unknownMember: true });
  assert.equal(buffer.byteLength, 0);
  closeAll(port1, port2);
});

test('spec 4: an array-like but non-iterable object is a dictionary, not a sequence', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  loose(port1)(null, { length: 1, 0: buffer });
  assert.equal(buffer.byteLength, 1, 'nothing transferred');
  closeAll(port1, port2);
});

test('spec 4: an object whose @@iterator is null is a dictionary', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  loose(port1)(null, { [Symbol.iterator]: null, transfer: [buffer] });
  assert.equal(buffer.byteLength, 0);
  closeAll(port1, port2);
});

test('spec 4: an object whose @@iterator is not callable throws TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => loose(port1)(null, { [Symbol.iterator]: 1 }), isTypeError);
  closeAll(port1, port2);
});

test('spec 4: a primitive second argument throws TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  for (const value of [1, 'x', '', true, false, 0n, Symbol('s')]) {
    assert.throws(() => loose(port1)(null, value), isTypeError, String(value));
  }
  closeAll(port1, port2);
});

test('spec 4: a primitive transfer entry throws TypeError, not DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  for (const entry of [1, 'x', null, undefined, true]) {
    assert.throws(() => loose(port1)(null, [entry]), isTypeError, String(entry));
    assert.throws(() => loose(port1)(null, { transfer: [entry] }), isTypeError, String(entry));
  }
  closeAll(port1, port2);
});

test('spec 4: conversion errors come before the postMessage steps (TypeError wins over DataCloneError)', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  // The source port would be a DataCloneError, but the primitive entry is found first.
  assert.throws(() => loose(port1)(null, [port1, 1]), isTypeError);
  assert.throws(() => loose(port1)(Symbol('not cloneable'), [1]), isTypeError);
  assert.throws(() => loose(port1)(null, [buffer, 'x']), isTypeError);
  assert.equal(buffer.byteLength, 1);
  closeAll(port1, port2);
});

test('spec 4: {transfer: null} throws TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => loose(port1)(null, { transfer: null }), isTypeError);
  closeAll(port1, port2);
});

test('spec 4: {transfer: <string>} and {transfer: <array-like>} throw TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => loose(port1)(null, { transfer: 'ab' }), isTypeError);
  assert.throws(() => loose(port1)(null, { transfer: { length: 0 } }), isTypeError);
  closeAll(port1, port2);
});

test('spec 4: {transfer: undefined} and {} mean an empty transfer list', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  loose(port1)('a', { transfer: undefined });
  assert.equal((await next(port2)).data, 'a');
  loose(port1)('b', {});
  assert.equal((await next(port2)).data, 'b');
  closeAll(port1, port2);
});

test('spec 4: the transfer member is read once, and through the prototype chain', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(1);
  let reads = 0;
  const options = Object.create({
    get transfer() {
      reads++;
      return [buffer];
    },
  }) as object;
  loose(port1)(null, options);
  assert.equal(reads, 1);
  assert.equal(buffer.byteLength, 0);
  closeAll(port1, port2);
});

test('spec 4: an exception from the transfer getter or the iterator propagates unchanged', () => {
  const { port1, port2 } = new MessageChannel();
  const boom = new RangeError('boom');
  assert.throws(() => loose(port1)(null, {
    get transfer(): never {
      throw boom;
    },
  }), (error) => error === boom);
  assert.throws(() => loose(port1)(null, (function* () {
    throw boom;
  })()), (error) => error === boom);
  closeAll(port1, port2);
});

test('spec 4: transfer entries that are objects but not transferable are a DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => loose(port1)(null, [{}]), isDataCloneError);
  assert.throws(() => loose(port1)(null, { transfer: [[]] }), isDataCloneError);
  closeAll(port1, port2);
});

// --- Brand checks: methods and accessors on the wrong `this` ---

test('spec 4: MessagePort methods called on a non-port throw TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  const proto = MessagePort.prototype;
  const notPorts: unknown[] = [{}, new EventTarget(), Object.create(proto), null, undefined, 1];
  for (const thisValue of notPorts) {
    assert.throws(() => Reflect.apply(proto.postMessage, thisValue, ['x']), isTypeError);
    assert.throws(() => Reflect.apply(proto.start, thisValue, []), isTypeError);
    assert.throws(() => Reflect.apply(proto.close, thisValue, []), isTypeError);
    for (const name of ['ref', 'unref', 'hasRef'] as const) {
      assert.throws(() => Reflect.apply(proto[name], thisValue, []), isTypeError, name);
    }
  }
  closeAll(port1, port2);
});

test('spec 4: MessagePort event handler accessors on a non-port throw TypeError', () => {
  for (const name of ['onmessage', 'onmessageerror', 'onclose']) {
    const descriptor = Object.getOwnPropertyDescriptor(MessagePort.prototype, name)!;
    assert.throws(() => descriptor.get!.call({}), isTypeError, name);
    assert.throws(() => descriptor.set!.call({}, () => {}), isTypeError, name);
    // Reading the attribute on the prototype itself is an illegal invocation too.
    assert.throws(() => (MessagePort.prototype as unknown as Record<string, unknown>)[name], isTypeError, name);
  }
});

test('spec 4: a port of one channel used as `this` of another port\'s method works on itself', async () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  b.port2.start();
  Reflect.apply(a.port1.postMessage, b.port1, ['via b']);
  assert.equal((await next(b.port2)).data, 'via b');
  closeAll(a.port1, a.port2, b.port1, b.port2);
});

test('spec 4: MessageEvent.prototype.initMessageEvent on a non-MessageEvent throws TypeError', () => {
  assert.throws(() => Reflect.apply(MessageEvent.prototype.initMessageEvent, new Event('x'), ['x']), isTypeError);
  assert.throws(() => Reflect.apply(MessageEvent.prototype.initMessageEvent, {}, ['x']), isTypeError);
});

test('spec 4: receiveMessageOnPort on a non-port throws TypeError', () => {
  assert.throws(() => receiveMessageOnPort({} as MessagePort), isTypeError);
  assert.throws(() => receiveMessageOnPort(Object.create(MessagePort.prototype) as MessagePort), isTypeError);
});

test('spec 4: the interface objects have the WebIDL lengths', () => {
  assert.equal(MessageChannel.length, 0);
  assert.equal(MessagePort.length, 0);
  assert.equal(MessageEvent.length, 1);
  assert.equal(MessagePort.prototype.start.length, 0);
  assert.equal(MessagePort.prototype.close.length, 0);
});
