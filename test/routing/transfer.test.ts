// Transfers: a port that leaves its node keeps its order, its queue and its peer; the proxy it
// leaves behind removes itself; re-transfers, transfers to the peer's own node, both ends at
// once, and ports inside queued messages all settle to one hop.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObserveProxyAckEvent } from '../../src/routing/index.ts';
import {
  arrived, assertSettled, closeAllAndCheckIdle, forwarded, link, send, setup, stats, texts, type TestWorld,
} from './helpers.ts';

const range = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

/** Nodes n0 … n(k−1) of a fresh world. */
function nodes(t: TestWorld) {
  return t.nodes as [typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0]];
}

test('routing: a proxy removes itself after forwarding the last sequence number its peer reports', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  t.world.logging = true;
  send(t, n1, c1, 'carrying b', [b]); // b leaves n1: a proxy stays there
  for (const text of range('m', 3)) send(t, n0, a, text); // still addressed to n1
  t.world.drain();
  const b2 = arrived(t, c2);
  assert.deepEqual(texts(t, b2), ['m0', 'm1', 'm2']);
  // a answered the proxy with the last sequence number it sent through it …
  const acks = t.world.log.filter(([from, , e]) => from === 'n0' && e.type === 'observeProxyAck');
  assert.deepEqual(acks.map(([, , e]) => (e as ObserveProxyAckEvent).lastSeq), [2]);
  // … and the proxy handed a over to b's new port only after forwarding that one.
  const fromProxy = t.world.log.filter(([from, to]) => from === 'n1' && to === 'n2').map(([, , e]) => e.type);
  assert.ok(fromProxy.lastIndexOf('userMessage') < fromProxy.indexOf('updatePrev'), fromProxy.join(' '));
  assert.equal(stats(n1).ports.proxying + stats(n1).ports.closed, 0);
  assertSettled(t);
  const before = forwarded(t);
  send(t, n0, a, 'direct');
  t.world.drain();
  assert.equal(forwarded(t) - before, 1, 'one hop once settled');
  assert.deepEqual(texts(t, b2).at(-1), 'direct');
  closeAllAndCheckIdle(t);
});

test('routing: a transferred port keeps its untaken messages, ahead of later ones', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  t.holdBack.add(b);
  for (const text of range('q', 3)) send(t, n0, a, text);
  t.world.drain();
  assert.equal(n1.node.status(b)!.available, 3);
  send(t, n1, c1, 'carrying b', [b]);
  for (const text of range('q', 2, 3)) send(t, n0, a, text);
  t.world.drain();
  assert.deepEqual(texts(t, arrived(t, c2)), range('q', 5));
  assertSettled(t);
  closeAllAndCheckIdle(t);
});

test('routing: a new port holds what it sends (parked) until its peer accepts it', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  send(t, n1, c1, 'carrying b', [b]);
  assert.ok(t.world.deliverFrom(n1, n2), 'the message with b reaches n2');
  const b2 = arrived(t, c2);
  send(t, n2, b2, 'early 1');
  send(t, n2, b2, 'early 2');
  assert.equal(stats(n2).parked, 2, 'held at n2: n0 does not know b2 yet');
  assert.deepEqual(t.world.peek(n2, n0), ['requestAccept'], 'only the request goes out');
  t.world.drain();
  assert.deepEqual(texts(t, a), ['early 1', 'early 2']);
  assert.equal(stats(n2).parked, 0);
  assertSettled(t);
  closeAllAndCheckIdle(t);
});

test('routing: a port re-transferred while its transfer is settling gets every message in order', () => {
  const t = setup(4);
  const [n0, n1, n2, n3] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  const [d2, d3] = link(t, n2, n3);
  // As soon as b arrives at n2, send it on to n3, from inside the callback.
  t.onStatus = (wn, port) => {
    if (wn !== n2 || port !== c2 || texts(t, c2).length !== 1 || t.owned.get(n2)!.size === 0) return;
    const b2 = arrived(t, c2);
    if (n2.node.status(b2)?.state === 'receiving') send(t, n2, d2, 'carrying b again', [b2]);
  };
  let sent = 0;
  send(t, n1, c1, 'carrying b', [b]);
  // Keep posting while the ports move, delivering one event at a time.
  while (t.world.deliverNext()) if (sent < 30) send(t, n0, a, `m${sent++}`);
  while (sent < 40) send(t, n0, a, `m${sent++}`);
  t.world.drain();
  assert.deepEqual(texts(t, arrived(t, d3)), range('m', 40));
  assertSettled(t);
  closeAllAndCheckIdle(t);
});

test('routing: a port transferred to its own peer\'s node ends up exchanging messages with no event', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c0, c1] = link(t, n0, n1);
  send(t, n0, a, 'before');
  send(t, n0, c0, 'carrying a', [a]); // a moves to n1, where b is
  send(t, n1, b, 'to a, while it moves');
  t.world.drain();
  const a1 = arrived(t, c1);
  assert.deepEqual(texts(t, a1), ['to a, while it moves']);
  assert.deepEqual(texts(t, b), ['before']);
  assertSettled(t);
  const before = forwarded(t);
  send(t, n1, a1, 'local');
  send(t, n1, b, 'local back');
  assert.equal(forwarded(t) - before, 0);
  assert.deepEqual(texts(t, b).at(-1), 'local');
  assert.deepEqual(texts(t, a1).at(-1), 'local back');
  closeAllAndCheckIdle(t);
});

test('routing: both ends transferred at once settle to one hop', () => {
  const t = setup(4);
  const [n0, n1, n2, n3] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c0, c2] = link(t, n0, n2);
  const [d1, d3] = link(t, n1, n3);
  send(t, n0, a, 'a0');
  send(t, n1, b, 'b0');
  send(t, n0, c0, 'carrying a', [a]);
  send(t, n1, d1, 'carrying b', [b]);
  t.world.drain();
  const a2 = arrived(t, c2);
  const b3 = arrived(t, d3);
  assert.deepEqual(texts(t, a2), ['b0']);
  assert.deepEqual(texts(t, b3), ['a0']);
  assertSettled(t);
  const before = forwarded(t);
  send(t, n2, a2, 'a1');
  send(t, n3, b3, 'b1');
  t.world.drain();
  assert.equal(forwarded(t) - before, 2);
  assert.deepEqual(texts(t, b3), ['a0', 'a1']);
  assert.deepEqual(texts(t, a2), ['b0', 'b1']);
  closeAllAndCheckIdle(t);
});

test('routing: ports inside queued messages travel with the port that queued them', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  const [x, y] = link(t, n0, n2); // x on n0, y on n2
  t.holdBack.add(b);
  send(t, n0, a, 'carrying x', [x]);
  send(t, n0, a, 'after');
  t.world.drain();
  assert.equal(n1.node.status(b)!.available, 2);
  send(t, n1, c1, 'carrying b', [b]); // b leaves with both messages, x inside the first
  send(t, n2, y, 'to x, wherever it is');
  t.world.drain();
  const b2 = arrived(t, c2);
  assert.deepEqual(texts(t, b2), ['carrying x', 'after']);
  const x2 = (t.inbox.get(b2)![0]!.ports)[0]!;
  assert.deepEqual(texts(t, x2), ['to x, wherever it is']);
  assert.equal(n2.node.status(x2)!.peerNode, n2.id, 'x is now next to y');
  assertSettled(t);
  closeAllAndCheckIdle(t);
});

test('routing: a port sent through a chain of proxies before they collapse still settles to one hop', () => {
  const t = setup(4);
  const [n0, n1, n2, n3] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  const [d2, d3] = link(t, n2, n3);
  const [e3, e0] = link(t, n3, n0);
  // b: n1 → n2 → n3 → n0 (a's own node), each move before the previous one settled.
  send(t, n1, c1, 'b to n2', [b]);
  t.world.deliverFrom(n1, n2);
  send(t, n2, d2, 'b to n3', [arrived(t, c2)]);
  t.world.deliverFrom(n2, n3);
  send(t, n3, e3, 'b to n0', [arrived(t, d3)]);
  for (const text of range('m', 5)) send(t, n0, a, text);
  t.world.drain();
  const b0 = arrived(t, e0);
  assert.deepEqual(texts(t, b0), range('m', 5));
  assertSettled(t);
  const before = forwarded(t);
  send(t, n0, a, 'local');
  assert.equal(forwarded(t) - before, 0);
  assert.deepEqual(texts(t, b0).at(-1), 'local');
  closeAllAndCheckIdle(t);
});
