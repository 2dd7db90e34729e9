// The global structuredClone(value, { transfer }): item 32 of shared/spec/channel-messaging.md.
// (What each value type clones to is tested in test/clone/.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessagePort, structuredClone } from '../../src/index.ts';
import { closeAll, next, record, settle, until } from './helpers.ts';

const isDataCloneError = (error: unknown): boolean =>
  error instanceof DOMException && error.name === 'DataCloneError';

type LooseClone = (...args: unknown[]) => unknown;
const clone = structuredClone as unknown as LooseClone;

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

test('spec 32: structuredClone() with no arguments throws TypeError', () => {
  assert.throws(() => clone(), TypeError);
});

test('spec 32: structuredClone has length 1 and name structuredClone', () => {
  assert.equal(structuredClone.length, 1);
  assert.equal(structuredClone.name, 'structuredClone');
});

test('spec 32: structuredClone(undefined) is undefined; primitives clone to themselves', () => {
  assert.equal(structuredClone(undefined), undefined);
  assert.equal(structuredClone(null), null);
  assert.equal(structuredClone('s'), 's');
  assert.ok(Object.is(structuredClone(-0), -0));
});

test('spec 32: the result is a deep copy', () => {
  const value = { a: [1, { b: 2 }] };
  const copy = structuredClone(value);
  assert.notEqual(copy, value);
  assert.notEqual(copy.a, value.a);
  assert.deepEqual(copy, value);
});

test('spec 32: options undefined or null mean no transfer', () => {
  const buffer = bytes(1);
  clone(buffer, undefined);
  clone(buffer, null);
  assert.equal(buffer.byteLength, 1);
});

test('spec 32: a primitive options argument throws TypeError', () => {
  for (const options of [1, 'x', true]) {
    assert.throws(() => clone({}, options), TypeError, String(options));
  }
});

test('spec 32: options is a dictionary only: an array as options transfers nothing', () => {
  const buffer = bytes(1, 2);
  const copy = clone(buffer, [buffer]) as ArrayBuffer;
  assert.equal(buffer.byteLength, 2, 'the array was read as a dictionary without transfer');
  assert.equal(copy.byteLength, 2);
});

test('spec 32: {transfer: null} throws TypeError; {transfer: undefined} is no transfer', () => {
  assert.throws(() => clone({}, { transfer: null }), TypeError);
  const buffer = bytes(1);
  clone(buffer, { transfer: undefined });
  assert.equal(buffer.byteLength, 1);
});

test('spec 32: a primitive transfer entry throws TypeError, not DataCloneError', () => {
  assert.throws(() => clone({}, { transfer: [1] }), TypeError);
  assert.throws(() => clone({}, { transfer: ['x'] }), (error) => error instanceof TypeError && !(error instanceof DOMException));
});

test('spec 32: transfer accepts any iterable', () => {
  const a = bytes(1);
  const b = bytes(2);
  clone(a, { transfer: new Set([a]) });
  clone(b, { transfer: (function* () {
    yield b;
  })() });
  assert.equal(a.byteLength, 0);
  assert.equal(b.byteLength, 0);
});

test('spec 32: transferring an ArrayBuffer detaches it and the result owns the bytes', () => {
  const buffer = bytes(1, 2, 3);
  const copy = structuredClone(buffer, { transfer: [buffer] });
  assert.equal(buffer.byteLength, 0);
  assert.notEqual(copy, buffer);
  assert.ok(copy instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(copy)], [1, 2, 3]);
});

test('spec 32: a view over a transferred buffer is cloned onto the transferred buffer', () => {
  const view = new Uint8Array([5, 6, 7, 8]).subarray(1, 3);
  const copy = structuredClone(view, { transfer: [view.buffer] });
  assert.equal(view.byteLength, 0);
  assert.deepEqual([...copy], [6, 7]);
  assert.equal(copy.byteOffset, 1);
});

test('spec 32: transferring a detached buffer throws DataCloneError', () => {
  const buffer = bytes(1);
  structuredClone(buffer, { transfer: [buffer] });
  assert.throws(() => structuredClone(buffer, { transfer: [buffer] }), isDataCloneError);
});

test('spec 32: a duplicate transfer entry throws DataCloneError and detaches nothing', () => {
  const buffer = bytes(1);
  assert.throws(() => structuredClone(buffer, { transfer: [buffer, buffer] }), isDataCloneError);
  assert.equal(buffer.byteLength, 1);
});

test('spec 32: a non-transferable object in the transfer list throws DataCloneError', () => {
  assert.throws(() => structuredClone(null, { transfer: [{}] }), isDataCloneError);
  assert.throws(() => structuredClone(null, { transfer: [new Uint8Array(1)] }), isDataCloneError);
});

test('spec 32: errors are synchronous: DataCloneError for symbols and functions, getter exceptions unchanged', () => {
  assert.throws(() => structuredClone(Symbol('s')), isDataCloneError);
  assert.throws(() => structuredClone({ f() {} }), isDataCloneError);
  const boom = new RangeError('boom');
  assert.throws(() => structuredClone({
    get x(): never {
      throw boom;
    },
  }), (error) => error === boom);
});

test('spec 32: a MessagePort not in the transfer list throws DataCloneError', () => {
  const { port1, port2 } = new MessageChannel();
  assert.throws(() => structuredClone(port1), isDataCloneError);
  assert.throws(() => structuredClone({ port: port1 }), isDataCloneError);
  closeAll(port1, port2);
});

test('spec 32: transferring a MessagePort gives a new port, not started, entangled with the same peer', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.postMessage('queued before');
  const copy = structuredClone(port1, { transfer: [port1] });
  assert.ok(copy instanceof MessagePort);
  assert.notEqual(copy, port1);
  const received = record(copy);
  port2.postMessage('posted after');
  await settle();
  assert.equal(received.length, 0, 'not started');
  copy.start();
  await until(() => received.length === 2, 'both messages');
  assert.deepEqual(received.map((event) => event.data), ['queued before', 'posted after']);
  port2.start();
  copy.postMessage('back');
  assert.equal((await next(port2)).data, 'back');
  closeAll(copy, port2);
});

test('spec 32: the original of a port transferred by structuredClone is detached', () => {
  const { port1, port2 } = new MessageChannel();
  const copy = structuredClone({ port: port1 }, { transfer: [port1] });
  assert.ok(copy.port instanceof MessagePort);
  assert.throws(() => structuredClone(port1, { transfer: [port1] }), isDataCloneError);
  const carrier = new MessageChannel();
  assert.throws(() => carrier.port1.postMessage(null, [port1]), isDataCloneError);
  closeAll(copy.port, port2, carrier.port1, carrier.port2);
});

test('spec 32: a port and a buffer transferred together keep their places in the clone', () => {
  const { port1, port2 } = new MessageChannel();
  const buffer = bytes(4);
  const copy = structuredClone({ list: [port1, buffer, port1] }, { transfer: [buffer, port1] });
  const [p, b, again] = copy.list as [MessagePort, ArrayBuffer, MessagePort];
  assert.ok(p instanceof MessagePort);
  assert.equal(p, again, 'the same port appears once, referenced twice');
  assert.deepEqual([...new Uint8Array(b)], [4]);
  closeAll(p, port2);
});
