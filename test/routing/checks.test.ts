// The checks against a hostile or buggy node: forward events only from the port's prev, lane
// events only from the port's peer, strict sequence numbers, unknown ids, malformed events and
// the limits. All dropped and counted, never thrown, and the channel goes on working.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEvent, encodeEvent, type NodeId, type PortId, type RoutingEvent } from '../../src/routing/index.ts';
import { closeAllAndCheckIdle, dropped, enc, link, pair, send, setup, stats, texts, type TestWorld } from './helpers.ts';

function nodes(t: TestWorld) {
  return t.nodes as [typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0], typeof t.nodes[0]];
}

const stranger = 'e'.repeat(32);
const message = (to: PortId, from: PortId, seq: number): RoutingEvent =>
  ({ type: 'userMessage', to, from, seq, hops: 0, payload: enc('forged'), ports: [] });

test('routing checks: a user message from anyone but the port\'s prev is dropped as wrongSource', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  n1.node.acceptEvent(n2.id, message(b, a, 0)); // right port id, wrong node
  n1.node.acceptEvent(n0.id, message(b, stranger, 0)); // right node, wrong port
  assert.equal(dropped(t, n1).wrongSource, 2);
  assert.deepEqual(texts(t, b), []);
  send(t, n0, a, 'real');
  t.world.drain();
  assert.deepEqual(texts(t, b), ['real'], 'the forgeries did not take sequence number 0');
  closeAllAndCheckIdle(t);
});

test('routing checks: a duplicate, stale or skipped sequence number is dropped as badSequence', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  send(t, n0, a, 'm0');
  t.world.drain();
  n1.node.acceptEvent(n0.id, message(b, a, 0)); // a replay
  n1.node.acceptEvent(n0.id, message(b, a, 7)); // a gap
  assert.equal(dropped(t, n1).badSequence, 2);
  send(t, n0, a, 'm1');
  t.world.drain();
  assert.deepEqual(texts(t, b), ['m0', 'm1']);
  closeAllAndCheckIdle(t);
});

test('routing checks: control events from anyone but the expected port are dropped', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const forged: RoutingEvent[] = [
    { type: 'accepted', to: b, from: a },
    { type: 'rejected', to: b, from: a },
    { type: 'observeProxy', to: b, from: a, targetNode: n2.id, targetPort: stranger },
    { type: 'updatePrev', to: b, from: a, prevNode: n2.id, prevPort: stranger },
    { type: 'observeProxyAck', to: b, from: a, lastSeq: -1 },
    { type: 'observeClosure', to: b, from: a, lastSeq: -1 },
  ];
  for (const event of forged) n1.node.acceptEvent(n2.id, event);
  assert.equal(dropped(t, n1).wrongSource, forged.length);
  // From the right port, but not fitting the state: the lane to a is open already.
  n1.node.acceptEvent(n0.id, { type: 'accepted', to: b, from: a });
  n1.node.acceptEvent(n0.id, { type: 'observeProxyAck', to: b, from: a, lastSeq: -1 });
  assert.equal(dropped(t, n1).unexpected, 2);
  assert.deepEqual(n1.node.status(b), { state: 'receiving', available: 0, peerClosed: false, peerNode: n0.id, peerPort: a });
  send(t, n1, b, 'still linked');
  t.world.drain();
  assert.deepEqual(texts(t, a), ['still linked']);
  closeAllAndCheckIdle(t);
});

test('routing checks: events for unknown ports are dropped and counted, never thrown', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const nobody = 'd'.repeat(32);
  const events: RoutingEvent[] = [
    message(nobody, stranger, 0),
    { type: 'accepted', to: nobody, from: stranger },
    { type: 'rejected', to: nobody, from: stranger },
    { type: 'requestAccept', to: nobody, from: stranger },
    { type: 'updatePrev', to: nobody, from: stranger, prevNode: n0.id, prevPort: stranger },
    { type: 'observeProxy', to: nobody, from: stranger, targetNode: n0.id, targetPort: stranger },
    { type: 'observeProxyAck', to: nobody, from: stranger, lastSeq: 3 },
    { type: 'observeClosure', to: nobody, from: stranger, lastSeq: 3 },
  ];
  for (const event of events) n1.node.acceptEvent(n0.id, event);
  assert.equal(dropped(t, n1).unknownPort, events.length);
  t.world.drain(); // the answer to requestAccept: rejected, itself for a port n0 does not have
  assert.equal(dropped(t, n0).unknownPort, 1);
  closeAllAndCheckIdle(t);
});

test('routing checks: malformed events and senders are dropped, never thrown', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const bad: unknown[] = [
    null, 42, {}, { type: 'nope', to: b, from: a }, { type: 'accepted', to: 'B', from: a },
    { ...message(b, a, 0), seq: -1 }, { ...message(b, a, 0), seq: 1.5 }, { ...message(b, a, 0), hops: -1 },
    { ...message(b, a, 0), payload: 'bytes' }, { ...message(b, a, 0), ports: {} }, { ...message(b, a, 0), ports: [{ port: b }] },
    { type: 'observeClosure', to: b, from: a, lastSeq: -2 }, { type: 'updatePrev', to: b, from: a, prevNode: 'x', prevPort: a },
    { type: 'introduce', port: null },
  ];
  for (const event of bad) n1.node.acceptEvent(n0.id, event as RoutingEvent);
  assert.equal(dropped(t, n1).malformed, bad.length);
  n1.node.acceptEvent('not a node' as NodeId, message(b, a, 0));
  n1.node.acceptEvent(n1.id, message(b, a, 0));
  assert.equal(dropped(t, n1).wrongSource, 2);
  send(t, n0, a, 'fine');
  t.world.drain();
  assert.deepEqual(texts(t, b), ['fine']);
  closeAllAndCheckIdle(t);
});

test('routing checks: acceptDecodedEvent (what links deliver) keeps every check but the form the decoder already made sure of', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const decoded = (event: RoutingEvent): RoutingEvent => decodeEvent(encodeEvent(event), n1.node.limits);
  n1.node.acceptDecodedEvent(n2.id, decoded(message(b, a, 0))); // right port id, wrong node
  n1.node.acceptDecodedEvent(n1.id, decoded(message(b, a, 0))); // from itself
  n1.node.acceptDecodedEvent(n0.id, decoded(message(b, a, 5))); // skips sequence numbers
  assert.equal(dropped(t, n1).wrongSource, 2);
  assert.equal(dropped(t, n1).badSequence, 1);
  n1.node.acceptDecodedEvent(n0.id, decoded(message(b, a, 0)));
  assert.deepEqual(texts(t, b), ['forged'], 'from the right node and port, in sequence: delivered');
  closeAllAndCheckIdle(t);
});

test('routing checks: a port id that is already in use, inside a message, makes it malformed', () => {
  const t = setup(2);
  const [n0, n1] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const descriptor = {
    port: b, referrer: stranger, channel: stranger, peerNode: n0.id, peerPort: stranger, nextSend: 0, nextReceive: 0,
    outboundClosed: false, inboundClosed: false,
  };
  n1.node.acceptEvent(n0.id, { ...message(b, a, 0), ports: [descriptor] } as RoutingEvent);
  assert.equal(dropped(t, n1).malformed, 1);
  send(t, n0, a, 'seq 0 is still free');
  t.world.drain();
  assert.deepEqual(texts(t, b), ['seq 0 is still free']);
  closeAllAndCheckIdle(t);
});

test('routing checks: a port keeps at most maxPendingAccepts requests to become its sender', () => {
  const t = setup(3, 1, { maxPendingAccepts: 2 });
  const [n0, n1, n2] = nodes(t);
  const [, b] = link(t, n0, n1);
  for (const c of ['1', '2', '3']) n1.node.acceptEvent(n2.id, { type: 'requestAccept', to: b, from: c.repeat(32) });
  assert.equal(stats(n1).pendingAccepts, 2);
  assert.equal(dropped(t, n1).limit, 1);
  t.world.drain();
  assert.equal(dropped(t, n2).unknownPort, 1, 'the third was rejected at once');
  n1.node.closePort(b); // the two pending ones are rejected now
  t.owned.get(n1)!.delete(b);
  t.world.drain();
  assert.equal(dropped(t, n2).unknownPort, 3);
  closeAllAndCheckIdle(t);
});

test('routing checks: a node may keep at most maxIntroducedPorts open ports introduced here', () => {
  const t = setup(2, 1, { maxIntroducedPorts: 1 });
  const [n0, n1] = nodes(t);
  const [, first] = link(t, n0, n1);
  const [x, y] = pair(t, n0);
  n0.node.introduce(n1.id, y);
  t.owned.get(n0)!.delete(y);
  t.world.drain();
  assert.equal(dropped(t, n1).limit, 1);
  assert.ok(t.peerClosed.has(x), 'the refused port is closed, and its peer learns');
  assert.equal(stats(n1).introduced, 1);
  n1.node.closePort(first);
  t.owned.get(n1)!.delete(first);
  t.world.drain();
  assert.equal(stats(n1).introduced, 0);
  link(t, n0, n1); // room again
  assert.equal(stats(n1).introduced, 1);
  closeAllAndCheckIdle(t);
});

test('routing checks: a proxy ignores an observeProxyAck that misreports what was sent through it', () => {
  const t = setup(3);
  const [n0, n1, n2] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1] = link(t, n1, n2);
  send(t, n0, a, 'm0');
  t.world.drain();
  send(t, n1, c1, 'carrying b', [b]);
  // Step until b's old port is a proxy asking n0 to re-point: then lie in n0's name.
  while (stats(n1).ports.proxying === 0 && t.world.deliverNext());
  n1.node.acceptEvent(n0.id, { type: 'observeProxyAck', to: b, from: a, lastSeq: 41 });
  assert.equal(dropped(t, n1).badSequence, 1);
  assert.equal(stats(n1).ports.proxying, 1, 'still a proxy');
  t.world.drain(); // the true answer arrives
  assert.equal(stats(n1).ports.proxying, 0);
  closeAllAndCheckIdle(t);
});

test('routing checks: a message passed on more than maxForwards times is doomed, and the sequence goes on', () => {
  const t = setup(4, 1, { maxForwards: 1 });
  const [n0, n1, n2, n3] = nodes(t);
  const [a, b] = link(t, n0, n1);
  const [c1, c2] = link(t, n1, n2);
  const [d2, d3] = link(t, n2, n3);
  const [x, y] = pair(t, n0);
  send(t, n1, c1, 'b to n2', [b]);
  t.world.deliverFrom(n1, n2);
  const b2 = t.inbox.get(c2)![0]!.ports[0]!;
  send(t, n2, d2, 'b to n3', [b2]);
  t.world.deliverFrom(n2, n3);
  send(t, n0, a, 'through two proxies', [x]); // a → proxy on n1 → proxy on n2: one forward too many
  t.world.drain();
  const b3 = t.inbox.get(d3)![0]!.ports[0]!;
  assert.deepEqual(texts(t, b3), [], 'doomed: skipped on arrival');
  assert.ok(t.peerClosed.has(y), 'its port was closed on the way');
  send(t, n0, a, 'one hop now');
  t.world.drain();
  assert.deepEqual(texts(t, b3), ['one hop now']);
  closeAllAndCheckIdle(t);
});
