// MessageChannel and entanglement: items 1, 2 and 6 of shared/spec/channel-messaging.md.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessagePort } from '../../src/index.ts';
import { closeAll, next, payloads, record, settle, until } from './helpers.ts';

test('spec 1: new MessageChannel() creates two distinct MessagePorts', () => {
  const channel = new MessageChannel();
  assert.ok(channel.port1 instanceof MessagePort);
  assert.ok(channel.port2 instanceof MessagePort);
  assert.notEqual(channel.port1, channel.port2);
  closeAll(channel.port1, channel.port2);
});

test('spec 1: port1 and port2 return the same objects on every read', () => {
  const channel = new MessageChannel();
  const { port1, port2 } = channel;
  assert.equal(channel.port1, port1);
  assert.equal(channel.port2, port2);
  closeAll(port1, port2);
  // Still the same objects once the ports are closed.
  assert.equal(channel.port1, port1);
  assert.equal(channel.port2, port2);
});

test('spec 1: each channel has its own ports', () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  assert.notEqual(a.port1, b.port1);
  assert.notEqual(a.port2, b.port2);
  closeAll(a.port1, a.port2, b.port1, b.port2);
});

test('spec 1: MessageChannel() without new throws TypeError', () => {
  const call = MessageChannel as unknown as () => unknown;
  assert.throws(() => call(), TypeError);
  assert.throws(() => Reflect.apply(MessageChannel, {}, []), TypeError);
});

test('spec 1: the port1/port2 getters are on the prototype, read-only, and brand-checked', () => {
  for (const name of ['port1', 'port2'] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(MessageChannel.prototype, name);
    assert.ok(descriptor !== undefined && typeof descriptor.get === 'function', name);
    assert.equal(descriptor.set, undefined);
    assert.equal(descriptor.enumerable, true);
    assert.throws(() => descriptor.get!.call({}), TypeError);
    assert.throws(() => descriptor.get!.call(MessageChannel.prototype), TypeError);
  }
  const channel = new MessageChannel();
  const port1 = channel.port1;
  // Modules are strict code: assigning to a getter-only accessor throws.
  assert.throws(() => {
    (channel as { port1: unknown }).port1 = null;
  }, TypeError);
  assert.equal(channel.port1, port1);
  closeAll(channel.port1, channel.port2);
});

test('spec 1: Object.prototype.toString names the interfaces', () => {
  const channel = new MessageChannel();
  assert.equal(Object.prototype.toString.call(channel), '[object MessageChannel]');
  assert.equal(Object.prototype.toString.call(channel.port1), '[object MessagePort]');
  closeAll(channel.port1, channel.port2);
});

test('spec 2: new MessagePort() throws TypeError', () => {
  const Ctor = MessagePort as unknown as new (...args: unknown[]) => unknown;
  assert.throws(() => new Ctor(), TypeError);
  // No argument the caller can pass gets past the check.
  assert.throws(() => new Ctor(Symbol('internal')), TypeError);
  assert.throws(() => new Ctor(new MessageChannel().port1), TypeError);
  assert.throws(() => (MessagePort as unknown as () => unknown)(), TypeError);
});

test('spec 2: a subclass of MessagePort cannot construct ports either', () => {
  const Ctor = MessagePort as unknown as new () => object;
  class Sub extends Ctor {}
  assert.throws(() => new Sub(), TypeError);
});

test('spec 2: channel ports are instances of MessagePort and EventTarget', () => {
  const channel = new MessageChannel();
  assert.ok(channel.port1 instanceof MessagePort);
  assert.ok(channel.port1 instanceof EventTarget);
  assert.equal(Object.getPrototypeOf(channel.port1), MessagePort.prototype);
  assert.equal(Object.getPrototypeOf(MessagePort.prototype), EventTarget.prototype);
  closeAll(channel.port1, channel.port2);
});

test('spec 2: a port received by transfer is a MessagePort too', async () => {
  const carrier = new MessageChannel();
  const channel = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage(null, [channel.port1]);
  const event = await next(carrier.port2);
  assert.equal(event.ports.length, 1);
  assert.ok(event.ports[0] instanceof MessagePort);
  closeAll(carrier.port1, carrier.port2, event.ports[0]!, channel.port2);
});

test('spec 6: entanglement is symmetric: each port delivers to the other', async () => {
  const { port1, port2 } = new MessageChannel();
  const at1 = record(port1);
  const at2 = record(port2);
  port1.start();
  port2.start();
  port1.postMessage('to 2');
  port2.postMessage('to 1');
  await until(() => at1.length === 1 && at2.length === 1, 'one message each way');
  assert.deepEqual(payloads(at1), ['to 1']);
  assert.deepEqual(payloads(at2), ['to 2']);
  assert.equal(at1[0]!.target, port1);
  assert.equal(at2[0]!.target, port2);
  closeAll(port1, port2);
});

test('spec 6: entanglement is 1:1: a message reaches only the peer, never another channel', async () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  const seen = [a.port1, a.port2, b.port1, b.port2].map((port) => {
    port.start();
    return record(port);
  });
  a.port1.postMessage('a');
  b.port2.postMessage('b');
  await until(() => seen[1]!.length === 1 && seen[2]!.length === 1, 'both messages');
  await settle();
  assert.deepEqual(seen.map(payloads), [[], ['a'], ['b'], []]);
  closeAll(a.port1, a.port2, b.port1, b.port2);
});

test('spec 6: a transferred port is entangled with the old peer, and the old channel object no longer is a channel', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage(null, [channel.port2]);
  const moved = (await next(carrier.port2)).ports[0]!;
  moved.start();
  channel.port1.start();
  const atMoved = record(moved);
  const atPort1 = record(channel.port1);
  const atOld = record(channel.port2);
  channel.port2.start();
  channel.port1.postMessage('to moved');
  moved.postMessage('to port1');
  // The old object is detached: posting from it goes nowhere.
  channel.port2.postMessage('from the old object');
  await until(() => atMoved.length === 1 && atPort1.length === 1, 'messages both ways');
  await settle();
  assert.deepEqual(payloads(atMoved), ['to moved']);
  assert.deepEqual(payloads(atPort1), ['to port1']);
  assert.deepEqual(atOld, []);
  closeAll(channel.port1, moved, carrier.port1, carrier.port2);
});
