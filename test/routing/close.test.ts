// Close: the peer reports peerClosed only after everything sent before the close; ports inside
// dropped messages are closed and their peers learn; the closure travels around the ring so
// that proxies on both sides go; doomed messages.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSettled, closeAllAndCheckIdle, dropped, link, pair, send, setup, stats, texts, type TestWorld } from './helpers.ts';

function nodes(t: TestWorld) {
  return t.nodes as [typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0]];
}

test('routing: peerClosed comes only after every message sent before the close', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  let seenAt = -1;
  t.onStatus = (wn, port) => {
    if (port === b && seenAt < 0 && wn.node.status(b)?.peerClosed) seenAt = texts(t, b).length;
  };
  for (let i = 0; i < 5; i++) send(t, n0, a, `m${i}`);
  n0.node.closePort(a);
  t.owned.get(n0)!.delete(a);
  assert.equal(n0.node.status(a), undefined, 'a closed port with nothing held is gone at once');
  t.world.drain();
  assert.equal(seenAt, 5);
  assert.deepEqual(n1.node.status(b), { state: 'receiving', available: 0, peerClosed: true, peerNode: null, peerPort: null });
  closeAllAndCheckIdle(t);
});

test('routing: closing a port closes the ports inside its untaken messages, and their peers learn', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [x, y] = link(t, n0, n2);
  t.holdBack.add(b);
  send(t, n0, a, 'carrying x', [x]);
  t.world.drain();
  assert.equal(n1.node.status(b)!.available, 1);
  n1.node.closePort(b);
  t.owned.get(n1)!.delete(b);
  t.world.drain();
  assert.ok(t.peerClosed.has(y), 'the peer of the port inside the dropped message');
  assert.ok(t.peerClosed.has(a));
  closeAllAndCheckIdle(t);
});

test('routing: a message that reaches a closed port has its ports closed, and their peers learn', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [x, y] = link(t, n0, n2);
  n1.node.closePort(b);
  t.owned.get(n1)!.delete(b);
  send(t, n0, a, 'carrying x, to a port that is gone', [x]); // before n0 hears of the close
  t.world.drain();
  assert.ok(t.peerClosed.has(y));
  // b closed while the message was on its way: stale, not unknown (b's id is remembered as closed).
  assert.ok(dropped(t, n1).stale >= 1);
  assert.equal(dropped(t, n1).unknownPort, 0);
  closeAllAndCheckIdle(t);
});

test('routing: sending to a port whose peer is known closed drops the message and closes its ports', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  n1.node.closePort(b);
  t.owned.get(n1)!.delete(b);
  t.world.drain();
  assert.ok(t.peerClosed.has(a));
  const [x, y] = pair(t, n0);
  const before = stats(n0).forwarded;
  send(t, n0, a, 'into the void', [x]);
  assert.equal(stats(n0).forwarded, before, 'nothing is sent');
  assert.equal(n0.node.status(x), undefined);
  assert.ok(t.peerClosed.has(y));
  closeAllAndCheckIdle(t);
});

test('routing: the closure travels around the ring, so proxies on both sides go away', () => {
  const t = setup(4);
  const [n0, n1, n2, n3] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c0, c2] = link(t, n0, n2);
  const [d1, d3] = link(t, n1, n3);
  send(t, n0, c0, 'carrying a', [a]);
  send(t, n1, d1, 'carrying b', [b]);
  // Deliver only the two transfers: both old places are buffering, then proxies.
  t.world.deliverFrom(n0, n2);
  t.world.deliverFrom(n1, n3);
  const a2 = t.inbox.get(c2)![0]!.ports[0]!;
  const b3 = t.inbox.get(d3)![0]!.ports[0]!;
  send(t, n2, a2, 'last words');
  n2.node.closePort(a2);
  t.owned.get(n2)!.delete(a2);
  t.world.drain();
  assert.deepEqual(texts(t, b3), ['last words']);
  assert.ok(t.peerClosed.has(b3));
  for (const wn of [n0, n1]) assert.equal(stats(wn).ports.proxying + stats(wn).ports.buffering + stats(wn).ports.closed, 0, wn.name);
  assertSettled(t);
  closeAllAndCheckIdle(t);
});

test('routing: both ends closing at once leave nothing behind', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  send(t, n1, c1, 'carrying b', [b]);
  t.world.deliverFrom(n1, n2);
  const b2 = t.inbox.get(c2)![0]!.ports[0]!;
  n0.node.closePort(a);
  n2.node.closePort(b2); // its closure waits (parked) until a would accept it
  t.owned.get(n0)!.delete(a);
  t.owned.get(n2)!.delete(b2);
  assert.equal(stats(n2).ports.closed, 1);
  t.world.drain();
  closeAllAndCheckIdle(t);
});

test('routing: sending a port\'s own peer through it dooms the message (HTML\'s doomed)', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = pair(t, n0);
  send(t, n0, a, 'carrying my own peer', [b]);
  assert.equal(n0.node.status(b), undefined, 'the peer is closed with the message');
  assert.ok(t.peerClosed.has(a));
  assert.deepEqual(texts(t, b), []);
  // Across nodes too: p's peer came back to p's node.
  const [p, q] = link(t, n0, n1);
  const [c1, c0] = link(t, n1, n0);
  send(t, n1, c1, 'q comes home', [q]);
  t.world.drain();
  const q0 = t.inbox.get(c0)![0]!.ports[0]!;
  send(t, n0, p, 'carrying my own peer', [q0]);
  t.world.drain();
  assert.ok(t.peerClosed.has(p));
  closeAllAndCheckIdle(t);
});

test('routing: closePort is idempotent and ignores unknown ids', () => {
  const t = setup(1);
  const [n0] = nodes(t);
  const [a, b] = pair(t, n0);
  n0.node.closePort(a);
  n0.node.closePort(a);
  n0.node.closePort('f'.repeat(32));
  n0.node.closePort('not an id');
  assert.ok(t.peerClosed.has(b));
  t.owned.get(n0)!.delete(a);
  closeAllAndCheckIdle(t);
});
