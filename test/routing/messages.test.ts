// Routing basics: posting and taking messages on one node and between nodes, sequence order,
// one hop in the steady state, the delegate calling back in, and the API's TypeErrors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isId, Node, randomId, type NodeDelegate } from '../../src/routing/index.ts';
import { Rng } from '../sim/rng.ts';
import { closeAllAndCheckIdle, enc, forwarded, link, pair, send, setup, stats, texts } from './helpers.ts';

test('routing: two ports of one node exchange messages without any event', () => {
  const t = setup(1);
  const [n0] = t.nodes;
  const [a, b] = pair(t, n0!);
  for (let i = 0; i < 5; i++) send(t, n0!, a, `a${i}`);
  send(t, n0!, b, 'b0');
  assert.deepEqual(texts(t, b), ['a0', 'a1', 'a2', 'a3', 'a4']);
  assert.deepEqual(texts(t, a), ['b0']);
  assert.equal(stats(n0!).forwarded, 0);
  assert.equal(t.world.pending, 0);
  closeAllAndCheckIdle(t);
});

test('routing: a message to a port on another node is one event, released in order', () => {
  const t = setup(2);
  const [n0, n1] = t.nodes as [typeof t.nodes[0], typeof t.nodes[0]];
  const [a, b] = link(t, n0, n1);
  const before = forwarded(t);
  for (let i = 0; i < 20; i++) send(t, n0, a, `m${i}`);
  assert.equal(t.world.pending, 20);
  t.world.drain();
  assert.equal(forwarded(t) - before, 20);
  assert.deepEqual(texts(t, b), Array.from({ length: 20 }, (_, i) => `m${i}`));
  send(t, n1, b, 'reply');
  t.world.drain();
  assert.deepEqual(texts(t, a), ['reply']);
  closeAllAndCheckIdle(t);
});

test('routing: status reports available messages, the peer node, and the state', () => {
  const t = setup(2);
  const [n0, n1] = t.nodes as [typeof t.nodes[0], typeof t.nodes[0]];
  const [a, b] = link(t, n0, n1);
  t.holdBack.add(b);
  send(t, n0, a, 'one');
  send(t, n0, a, 'two');
  t.world.drain();
  assert.deepEqual(n1.node.status(b), { state: 'receiving', available: 2, peerClosed: false, peerNode: n0.id, peerPort: a });
  assert.equal(new TextDecoder().decode(n1.node.takeMessage(b)!.payload), 'one');
  assert.equal(n1.node.status(b)!.available, 1);
  assert.equal(n1.node.status('0'.repeat(32)), undefined);
  assert.equal(n1.node.takeMessage('0'.repeat(32)), undefined);
  t.holdBack.delete(b);
  closeAllAndCheckIdle(t);
});

test('routing: the delegate may call back into the node from portStatusChanged', () => {
  const t = setup(2);
  const [n0, n1] = t.nodes as [typeof t.nodes[0], typeof t.nodes[0]];
  const [a, b] = link(t, n0, n1);
  // An echo: every message at b is answered from inside the callback; the third closes b.
  t.onStatus = (wn, port) => {
    if (wn !== n1 || port !== b || n1.node.status(b) === undefined) return;
    const got = texts(t, b);
    if (got.length > 0 && got.length <= 3 && texts(t, a).length < got.length) {
      send(t, n1, b, `echo ${got.at(-1)}`);
      if (got.length === 3) {
        n1.node.closePort(b);
        t.owned.get(n1)!.delete(b);
      }
    }
  };
  for (const text of ['x', 'y', 'z']) send(t, n0, a, text);
  t.world.drain();
  assert.deepEqual(texts(t, a), ['echo x', 'echo y', 'echo z']);
  assert.ok(t.peerClosed.has(a));
  closeAllAndCheckIdle(t);
});

test('routing: ids are 128 random bits as 32 lowercase hex characters', () => {
  const rng = new Rng(7);
  const id = randomId((bytes) => rng.bytes(bytes));
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.ok(isId(id));
  for (const bad of [id.toUpperCase(), id.slice(1), `${id}0`, 'g'.repeat(32), 42, null, undefined]) assert.equal(isId(bad), false);
  const delegate: NodeDelegate = { forwardEvent() {}, portStatusChanged() {}, portIntroduced() {} };
  assert.ok(isId(new Node({ delegate }).id), 'the default random source is crypto.getRandomValues');
  assert.equal(new Node({ delegate, id }).id, id);
  assert.throws(() => new Node({ delegate, id: 'node-1' }), TypeError);
  assert.throws(() => new Node({ delegate, limits: { maxForwards: -1 } }), TypeError);
  const node = new Node({ delegate, random: (bytes) => rng.bytes(bytes) });
  const [p, q] = node.createPortPair();
  assert.ok(isId(p) && isId(q) && p !== q);
  node.closePort(p);
  node.closePort(q);
  assert.deepEqual(node.stats().ports, { receiving: 0, buffering: 0, proxying: 0, closed: 0 });
});

test('routing: sendMessage and introduce throw TypeError for caller bugs before changing anything', () => {
  const t = setup(2);
  const [n0, n1] = t.nodes as [typeof t.nodes[0], typeof t.nodes[0]];
  const [a, b] = link(t, n0, n1);
  const [x, y] = pair(t, n0);
  const node = n0.node;
  const payload = enc('p');
  assert.throws(() => node.sendMessage(a, { payload, ports: [a] }), TypeError, 'the port itself');
  assert.throws(() => node.sendMessage(a, { payload, ports: [x, x] }), TypeError, 'twice');
  assert.throws(() => node.sendMessage(a, { payload, ports: [b] }), TypeError, 'a port of another node');
  assert.throws(() => node.sendMessage(a, { payload, ports: ['0'.repeat(32)] }), TypeError, 'unknown');
  assert.throws(() => node.sendMessage('0'.repeat(32), { payload, ports: [] }), TypeError, 'unknown sender');
  assert.throws(() => node.sendMessage(a, { payload: 'text' as unknown as Uint8Array, ports: [] }), TypeError);
  assert.throws(() => node.introduce(n0.id, x), TypeError, 'introduce to itself');
  assert.throws(() => node.introduce('nope', x), TypeError);
  assert.throws(() => node.introduce(n1.id, b), TypeError, 'not a local port');
  // Nothing moved: x and y still talk, a and b still talk.
  send(t, n0, x, 'still here');
  assert.deepEqual(texts(t, y), ['still here']);
  send(t, n0, a, 'hello');
  t.world.drain();
  assert.deepEqual(texts(t, b), ['hello']);
  closeAllAndCheckIdle(t);
});

test('routing: a port inside an untaken message is not the caller\'s to send or close', () => {
  const t = setup(1);
  const [n0] = t.nodes;
  const [a, b] = pair(t, n0!);
  const [x, y] = pair(t, n0!);
  t.holdBack.add(b);
  send(t, n0!, a, 'carries x', [x]);
  assert.throws(() => n0!.node.sendMessage(a, { payload: enc('again'), ports: [x] }), TypeError);
  n0!.node.closePort(x); // ignored: x belongs to the queued message
  assert.equal(n0!.node.status(x)?.state, 'receiving');
  send(t, n0!, y, 'to x while queued');
  t.holdBack.delete(b);
  n0!.node.closePort(b); // drops the queued message: x is closed with it, and y learns
  t.owned.get(n0!)!.delete(b);
  assert.equal(n0!.node.status(x), undefined);
  assert.ok(t.peerClosed.has(y));
  closeAllAndCheckIdle(t);
});
