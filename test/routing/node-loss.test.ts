// Node loss: ports whose peer was on the lost node report peerClosed after what they already
// have; proxies there take their channels down and both ends learn; ports in transit to it close.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Node } from '../../src/routing/index.ts';
import { closeAllAndCheckIdle, dropped, link, send, setup, stats, texts, type TestWorld } from './helpers.ts';

function nodes(t: TestWorld) {
  return t.nodes as [typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0]];
}

/** What the lost node had sent is delivered up to `keep` events per pair, the rest is lost. */
function killKeeping(t: TestWorld, victim: TestWorld['nodes'][0], keep: number): void {
  let left = keep;
  t.world.kill(victim, () => left-- > 0);
  t.owned.get(victim)!.clear();
}

test('routing: a port whose peer\'s node is lost reports peerClosed after what it already has', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  let seenAt = -1;
  t.onStatus = (wn, port) => {
    if (port === a && seenAt < 0 && wn.node.status(a)?.peerClosed) seenAt = texts(t, a).length;
  };
  for (let i = 0; i < 4; i++) send(t, n1, b, `m${i}`);
  killKeeping(t, n1, 2); // m0 and m1 were on the wire; m2 and m3 die with n1
  t.world.drain();
  assert.deepEqual(texts(t, a), ['m0', 'm1']);
  assert.equal(seenAt, 2);
  assert.deepEqual(n0.node.status(a), { state: 'receiving', available: 0, peerClosed: true, peerNode: null, peerPort: null });
  send(t, n0, a, 'too late'); // dropped here: the peer is known gone
  assert.equal(t.world.pending, 0);
  closeAllAndCheckIdle(t);
});

test('routing: when a proxy\'s node is lost, both ends learn and nothing leaks', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  send(t, n1, c1, 'carrying b', [b]);
  t.world.deliverFrom(n1, n2); // b is on n2; the proxy on n1 has not collapsed yet
  const b2 = t.inbox.get(c2)![0]!.ports[0]!;
  send(t, n0, a, 'through the proxy');
  killKeeping(t, n1, 0);
  t.world.drain();
  assert.ok(t.peerClosed.has(a));
  assert.ok(t.peerClosed.has(b2));
  closeAllAndCheckIdle(t);
});

test('routing: a port in transit to a lost node is closed, and its peer learns', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1] = link(t, n1, n2);
  send(t, n1, c1, 'carrying b to its death', [b]);
  assert.equal(stats(n1).ports.buffering, 1);
  killKeeping(t, n2, 0);
  t.world.drain();
  assert.ok(t.peerClosed.has(a));
  assert.equal(stats(n1).ports.buffering, 0);
  closeAllAndCheckIdle(t);
});

test('routing: a port arriving with its peer on an already lost node closes at once', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [p] = link(t, n1, n2); // p on n1, its peer on n2
  const [c1, c0] = link(t, n1, n0);
  killKeeping(t, n2, 0);
  t.world.deliverFrom(n2, n0); // n0 learns first …
  send(t, n1, c1, 'carrying p', [p]); // … while n1 still sends p there
  t.world.drain();
  const p0 = t.inbox.get(c0)![0]!.ports[0]!;
  assert.ok(t.peerClosed.has(p0));
  assert.equal(n0.node.status(p0)!.peerNode, null);
  closeAllAndCheckIdle(t);
});

test('routing: events from a lost node are dropped', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  n0.node.nodeLost(n1.id);
  n0.node.acceptEvent(n1.id, { type: 'userMessage', to: a, from: b, seq: 0, hops: 0, payload: new Uint8Array(0), ports: [] });
  assert.equal(dropped(t, n0).lostNode, 1);
  assert.ok(t.peerClosed.has(a));
  n0.node.nodeLost(n1.id); // again: nothing more happens
  n0.node.nodeLost(n0.id); // its own id: ignored
  n0.node.nodeLost('not an id');
  killKeeping(t, n1, 0);
  closeAllAndCheckIdle(t);
});

test('routing: lost nodes are remembered up to maxLostNodes', () => {
  const t = setup(1);
  const delegate = { forwardEvent() {}, portStatusChanged() {}, portIntroduced() {} };
  const node = new Node({ delegate, limits: { maxLostNodes: 2 } });
  const ids = ['1', '2', '3'].map((c) => c.repeat(32));
  for (const id of ids) node.nodeLost(id);
  const event = { type: 'accepted', to: 'a'.repeat(32), from: 'b'.repeat(32) } as const;
  node.acceptEvent(ids[0]!, event); // forgotten: dropped as an unknown port instead
  node.acceptEvent(ids[2]!, event);
  assert.equal(node.stats().dropped.lostNode, 1);
  assert.equal(node.stats().dropped.unknownPort, 1);
  closeAllAndCheckIdle(t);
});
