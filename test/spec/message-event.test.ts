// MessageEvent: the fields of port messages, the constructor and initMessageEvent: items 5,
// 21 and 22 of shared/spec/channel-messaging.md.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, MessageEvent, MessagePort } from '../../src/index.ts';
import { closeAll, next, until } from './helpers.ts';

// --- Item 21: the events ports fire ---

test('spec 21: a port message event has the spec fields', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage({ hello: 'world' });
  const event = await next(port2);
  assert.ok(event instanceof MessageEvent);
  assert.ok(event instanceof Event);
  assert.equal(event.type, 'message');
  assert.equal(event.bubbles, false);
  assert.equal(event.cancelable, false);
  assert.equal(event.composed, false);
  // isTrusted: its own test in node-deviations.test.ts (in browsers, a documented deviation).
  assert.equal(event.target, port2);
  assert.deepEqual(event.data, { hello: 'world' });
  assert.equal(event.origin, '');
  assert.equal(event.lastEventId, '');
  assert.equal(event.source, null);
  assert.deepEqual(event.ports, []);
  closeAll(port1, port2);
});

test('spec 21: postMessage(undefined) arrives as undefined, not null', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage(undefined);
  const event = await next(port2);
  assert.equal(event.data, undefined);
  closeAll(port1, port2);
});

test('spec 21: postMessage(null) arrives as null', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage(null);
  const event = await next(port2);
  assert.equal(event.data, null);
  closeAll(port1, port2);
});

test('spec 21: data is a clone, not the posted object', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  const sent = { nested: { n: 1 } };
  port1.postMessage(sent);
  sent.nested.n = 2;
  const event = await next(port2);
  assert.notEqual(event.data, sent);
  assert.deepEqual(event.data, { nested: { n: 1 } });
  closeAll(port1, port2);
});

test('spec 21: ports is a frozen array, the same object on every read, and push throws TypeError', async () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  port2.start();
  port1.postMessage(null, [other.port1]);
  const event = await next(port2);
  const ports = event.ports;
  assert.ok(Array.isArray(ports));
  assert.ok(Object.isFrozen(ports));
  assert.equal(event.ports, ports);
  assert.equal(ports.length, 1);
  assert.throws(() => (ports as MessagePort[]).push(port1), TypeError);
  assert.throws(() => {
    (ports as MessagePort[])[0] = port1;
  }, TypeError);
  assert.equal(ports.length, 1);
  closeAll(port1, port2, ports[0]!, other.port2);
});

test('spec 21: a message without transfers still has a frozen, stable ports array', async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  port1.postMessage(1);
  const event = await next(port2);
  assert.ok(Object.isFrozen(event.ports));
  assert.equal(event.ports, event.ports);
  assert.throws(() => (event.ports as MessagePort[]).push(port1), TypeError);
  closeAll(port1, port2);
});

test('spec 21: every message gets its own ports array', async () => {
  const { port1, port2 } = new MessageChannel();
  const events: MessageEvent[] = [];
  port2.onmessage = (event: MessageEvent) => events.push(event);
  port1.postMessage(1);
  port1.postMessage(2);
  await until(() => events.length === 2, 'two messages');
  assert.notEqual(events[0]!.ports, events[1]!.ports);
  closeAll(port1, port2);
});

// --- Item 22: the constructor ---

test('spec 22: new MessageEvent(type) has the dictionary defaults', () => {
  const event = new MessageEvent('message');
  assert.equal(event.type, 'message');
  assert.equal(event.data, null);
  assert.equal(event.origin, '');
  assert.equal(event.lastEventId, '');
  assert.equal(event.source, null);
  assert.deepEqual(event.ports, []);
  assert.ok(Object.isFrozen(event.ports));
  assert.equal(event.ports, event.ports);
  assert.equal(event.bubbles, false);
  assert.equal(event.cancelable, false);
  assert.equal(event.composed, false);
});

test('spec 22: a constructed MessageEvent is not trusted', () => {
  assert.equal(new MessageEvent('message').isTrusted, false);
  assert.equal(new MessageEvent('message', { data: 1 }).isTrusted, false);
});

test('spec 22: new MessageEvent() without a type throws TypeError', () => {
  const Ctor = MessageEvent as unknown as new () => unknown;
  assert.throws(() => new Ctor(), TypeError);
  assert.throws(() => (MessageEvent as unknown as (type: string) => unknown)('message'), TypeError);
});

test('spec 22: the type is converted with ToString; a symbol type throws TypeError', () => {
  assert.equal(new MessageEvent(1 as unknown as string).type, '1');
  assert.equal(new MessageEvent(undefined as unknown as string).type, 'undefined');
  assert.throws(() => new MessageEvent(Symbol() as unknown as string), TypeError);
});

test('spec 22: the dictionary members are all taken over', () => {
  const { port1, port2 } = new MessageChannel();
  const data = { any: 'thing' };
  const event = new MessageEvent('custom', {
    bubbles: true, cancelable: true, composed: true,
    data, origin: 'https://example.com', lastEventId: 'id-7', source: port1, ports: [port1, port2],
  });
  assert.equal(event.type, 'custom');
  assert.equal(event.bubbles, true);
  assert.equal(event.cancelable, true);
  assert.equal(event.composed, true);
  assert.equal(event.data, data);
  assert.equal(event.origin, 'https://example.com');
  assert.equal(event.lastEventId, 'id-7');
  assert.equal(event.source, port1);
  assert.deepEqual([...event.ports], [port1, port2]);
  closeAll(port1, port2);
});

test('spec 22: data undefined in the dictionary means the default, null', () => {
  assert.equal(new MessageEvent('message', { data: undefined }).data, null);
  assert.equal(new MessageEvent('message', {}).data, null);
  assert.equal(new MessageEvent('message', { data: 0 }).data, 0);
});

test('spec 22: a null or undefined dictionary gives the defaults; a primitive one is a TypeError', () => {
  assert.equal(new MessageEvent('message', undefined).data, null);
  assert.equal(new MessageEvent('message', null as unknown as undefined).data, null);
  assert.throws(() => new MessageEvent('message', 1 as unknown as undefined), TypeError);
  assert.throws(() => new MessageEvent('message', 'x' as unknown as undefined), TypeError);
});

test('spec 22: ports is converted to a new frozen array, not the caller\'s array', () => {
  const { port1, port2 } = new MessageChannel();
  const input = [port1];
  const event = new MessageEvent('message', { ports: input });
  assert.notEqual(event.ports, input);
  assert.ok(Object.isFrozen(event.ports));
  assert.equal(Object.isFrozen(input), false);
  input.push(port2);
  assert.equal(event.ports.length, 1);
  assert.throws(() => (event.ports as MessagePort[]).push(port2), TypeError);
  closeAll(port1, port2);
});

test('spec 22: ports accepts any iterable of MessagePorts', () => {
  const { port1, port2 } = new MessageChannel();
  const fromSet = new MessageEvent('message', { ports: new Set([port1, port2]) });
  assert.deepEqual([...fromSet.ports], [port1, port2]);
  const fromGenerator = new MessageEvent('message', {
    ports: (function* () {
      yield port2;
    })(),
  });
  assert.deepEqual([...fromGenerator.ports], [port2]);
  closeAll(port1, port2);
});

test('spec 22: ports containing anything but MessagePorts throws TypeError', () => {
  const { port1, port2 } = new MessageChannel();
  const bad = (ports: unknown): unknown => new MessageEvent('message', { ports: ports as MessagePort[] });
  assert.throws(() => bad([port1, {}]), TypeError);
  assert.throws(() => bad([null]), TypeError);
  assert.throws(() => bad([new ArrayBuffer(1)]), TypeError);
  assert.throws(() => bad([Object.create(MessagePort.prototype)]), TypeError);
  assert.throws(() => bad(null), TypeError);
  assert.throws(() => bad(port1), TypeError);
  assert.throws(() => bad({ length: 1, 0: port1 }), TypeError);
  closeAll(port1, port2);
});

test('spec 22: source accepts null and a MessagePort', () => {
  const { port1, port2 } = new MessageChannel();
  assert.equal(new MessageEvent('message', { source: null }).source, null);
  assert.equal(new MessageEvent('message', { source: undefined as unknown as null }).source, null);
  assert.equal(new MessageEvent('message', { source: port2 }).source, port2);
  closeAll(port1, port2);
});

test('spec 22: source: globalThis (not a WindowProxy on Node) throws TypeError', () => {
  assert.throws(() => new MessageEvent('message', { source: globalThis }), TypeError);
});

test('spec 22: source of any other kind throws TypeError', () => {
  for (const source of [{}, 1, 'x', new EventTarget(), new MessageChannel(), Object.create(MessagePort.prototype)]) {
    assert.throws(() => new MessageEvent('message', { source: source as MessagePort }), TypeError, String(source));
  }
});

test('spec 22: origin is a USVString: lone surrogates become U+FFFD', () => {
  assert.equal(new MessageEvent('message', { origin: 'a\uD800b' }).origin, 'a\uFFFDb');
  assert.equal(new MessageEvent('message', { origin: '\uDC00' }).origin, '\uFFFD');
  // A well-formed pair is kept.
  assert.equal(new MessageEvent('message', { origin: '\uD83D\uDE00' }).origin, '\uD83D\uDE00');
});

test('spec 22: lastEventId is a DOMString: lone surrogates are kept', () => {
  assert.equal(new MessageEvent('message', { lastEventId: 'a\uD800b' }).lastEventId, 'a\uD800b');
});

test('spec 22: origin and lastEventId are converted with ToString', () => {
  const event = new MessageEvent('message', { origin: 12 as unknown as string, lastEventId: null as unknown as string });
  assert.equal(event.origin, '12');
  assert.equal(event.lastEventId, 'null');
  assert.throws(() => new MessageEvent('message', { origin: Symbol() as unknown as string }), TypeError);
});

test('spec 22: dictionary members are read once each, in WebIDL order', () => {
  const reads: string[] = [];
  const { port1, port2 } = new MessageChannel();
  const values: Record<string, unknown> = {
    bubbles: false, cancelable: false, composed: false, data: 1,
    lastEventId: '', origin: '', ports: [], source: null,
  };
  const init = new Proxy({}, {
    get(_target, key) {
      if (typeof key === 'string') reads.push(key);
      return typeof key === 'string' ? values[key] : undefined;
    },
  });
  const event = new MessageEvent('message', init);
  assert.deepEqual(reads, ['bubbles', 'cancelable', 'composed', 'data', 'lastEventId', 'origin', 'ports', 'source']);
  assert.equal(event.data, 1);
  closeAll(port1, port2);
});

test('spec 22: dictionary members are read through the prototype chain', () => {
  const init = Object.create({ data: 'inherited', origin: 'o' }) as object;
  const event = new MessageEvent('message', init);
  assert.equal(event.data, 'inherited');
  assert.equal(event.origin, 'o');
});

test('spec 22: an exception from a dictionary getter propagates, and later members are not read', () => {
  const boom = new RangeError('boom');
  let laterRead = false;
  const init = {
    get data(): unknown {
      throw boom;
    },
    get origin(): string {
      laterRead = true;
      return '';
    },
  };
  assert.throws(() => new MessageEvent('message', init), (error) => error === boom);
  assert.equal(laterRead, false);
});

test('spec 22: the MessageEvent attribute getters are brand-checked', () => {
  for (const name of ['data', 'origin', 'lastEventId', 'source', 'ports']) {
    const descriptor = Object.getOwnPropertyDescriptor(MessageEvent.prototype, name);
    assert.ok(descriptor?.get !== undefined, name);
    assert.equal(descriptor.set, undefined, name);
    assert.equal(descriptor.enumerable, true, name);
    assert.throws(() => descriptor.get!.call(new Event('message')), TypeError, name);
    assert.throws(() => descriptor.get!.call({}), TypeError, name);
  }
  assert.throws(() => MessageEvent.prototype.initMessageEvent.call(new Event('x'), 'x'), TypeError);
});

test('spec 22: MessageEvent.length is 1 and initMessageEvent.length is 1', () => {
  assert.equal(MessageEvent.length, 1);
  assert.equal(MessageEvent.prototype.initMessageEvent.length, 1);
});

// --- Item 5: initMessageEvent ---

test('spec 5: there is no vendor-prefixed initMessageEvent', () => {
  const event = new MessageEvent('message') as unknown as Record<string, unknown>;
  for (const name of ['webkitInitMessageEvent', 'mozInitMessageEvent', 'msInitMessageEvent']) {
    assert.equal(name in event, false, name);
  }
});

test('spec 5: initMessageEvent() with no arguments throws TypeError', () => {
  const event = new MessageEvent('message');
  const init = event.initMessageEvent as unknown as (this: MessageEvent) => void;
  assert.throws(() => init.call(event), TypeError);
});

test('spec 5: initMessageEvent sets every field before dispatch, with the WebIDL defaults', () => {
  const { port1, port2 } = new MessageChannel();
  const event = new MessageEvent('before', { data: 'old', origin: 'old', lastEventId: 'old', source: port1, ports: [port1] });
  event.initMessageEvent('after');
  assert.equal(event.type, 'after');
  assert.equal(event.bubbles, false);
  assert.equal(event.cancelable, false);
  assert.equal(event.data, null);
  assert.equal(event.origin, '');
  assert.equal(event.lastEventId, '');
  assert.equal(event.source, null);
  assert.deepEqual(event.ports, []);

  event.initMessageEvent('again', true, true, { d: 1 }, 'o\uD800', 'id\uD800', port2, new Set([port1, port2]));
  assert.equal(event.type, 'again');
  assert.equal(event.bubbles, true);
  assert.equal(event.cancelable, true);
  assert.deepEqual(event.data, { d: 1 });
  assert.equal(event.origin, 'o\uFFFD');
  assert.equal(event.lastEventId, 'id\uD800');
  assert.equal(event.source, port2);
  assert.deepEqual([...event.ports], [port1, port2]);
  assert.ok(Object.isFrozen(event.ports));
  closeAll(port1, port2);
});

test('spec 5: initMessageEvent converts its arguments: bad source or ports throw TypeError', () => {
  const event = new MessageEvent('message');
  assert.throws(() => event.initMessageEvent('x', false, false, null, '', '', {} as MessagePort), TypeError);
  assert.throws(() => event.initMessageEvent('x', false, false, null, '', '', null, [{}] as MessagePort[]), TypeError);
  assert.throws(() => event.initMessageEvent('x', false, false, null, '', '', null, null as unknown as MessagePort[]), TypeError);
  assert.equal(event.type, 'message');
});

test('spec 5: initMessageEvent is a no-op while the event is being dispatched', () => {
  const target = new EventTarget();
  const event = new MessageEvent('message', { data: 'original' });
  let during: { type: string; data: unknown; bubbles: boolean } | undefined;
  target.addEventListener('message', () => {
    event.initMessageEvent('changed', true, true, 'changed');
    during = { type: event.type, data: event.data, bubbles: event.bubbles };
  });
  target.dispatchEvent(event);
  assert.deepEqual(during, { type: 'message', data: 'original', bubbles: false });
  assert.equal(event.data, 'original');
  // After dispatch, initialization works again.
  event.initMessageEvent('changed', false, false, 'changed');
  assert.equal(event.type, 'changed');
  assert.equal(event.data, 'changed');
});

test('spec 5: initMessageEvent is a no-op on a port message while it is dispatched', async () => {
  const { port1, port2 } = new MessageChannel();
  let during: { type: string; data: unknown } | undefined;
  port2.onmessage = (event: MessageEvent) => {
    event.initMessageEvent('changed', true, true, 'changed');
    during = { type: event.type, data: event.data };
  };
  port1.postMessage('original');
  await until(() => during !== undefined, 'the message');
  assert.deepEqual(during, { type: 'message', data: 'original' });
  closeAll(port1, port2);
});
