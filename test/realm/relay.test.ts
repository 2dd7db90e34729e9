// Ports whose two ends are on nodes with no link between them: events are relayed through the
// nodes in between (src/realm/relay.ts). A chain a — b — c — d, linked only to neighbours.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from '../../src/index.ts';
import { RealmNode } from '../../src/realm/realm-node.ts';
import type { MessagePort } from '../../src/spec/message-port.ts';
import { randomNodeId } from '../../src/link/node-id.ts';
import { encodeEvent } from '../../src/routing/codec.ts';
import { collect, link, next, remotePair, settle, transportsOf, unrefClock, type PortMessageEvent } from './helpers.ts';

/** Nodes linked in a line: each only to the one before and the one after. */
async function chain(count: number): Promise<RealmNode[]> {
  const nodes = Array.from({ length: count }, () => new RealmNode({ clock: unrefClock }));
  // No grace: a severed transport is a dead neighbour at once (nobody redials in these tests).
  for (let i = 0; i + 1 < count; i++) await link(nodes[i]!, nodes[i + 1]!, { graceMs: 0 });
  return nodes;
}

/** Hands the port arriving at each node on to the next one, and resolves with the port the last node got. */
async function passAlong(nodes: RealmNode[], port: MessagePort): Promise<{ last: MessagePort; hops: MessagePort[] }> {
  const hops: MessagePort[] = [];
  let current = port;
  for (let i = 0; i + 1 < nodes.length; i++) {
    const [out, inn] = await remotePair(nodes[i]!, nodes[i + 1]!);
    hops.push(out, inn);
    const arrived = next<PortMessageEvent>(inn);
    inn.start();
    out.postMessage('yours', [current]);
    current = (await arrived).ports[0]!;
  }
  return { last: current, hops };
}

function openPorts(node: RealmNode): number {
  return Object.values(node.node.stats().ports).reduce((sum, n) => sum + n, 0);
}

test('relay: a port passed a → b → c → d keeps order both ways with its peer on a; no proxies are left', async () => {
  const nodes = await chain(4);
  const [a, b, c, d] = nodes as [RealmNode, RealmNode, RealmNode, RealmNode];
  const { port1, port2 } = new MessageChannel();
  // Messages posted while the port travels arrive too, in order.
  for (let i = 0; i < 5; i++) port1.postMessage(i);
  const { last, hops } = await passAlong(nodes, port2);
  const seen = collect(last, 10);
  for (let i = 5; i < 10; i++) port1.postMessage(i);
  assert.deepEqual(await seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const back = collect(port1, 100);
  for (let i = 0; i < 100; i++) last.postMessage({ i });
  assert.deepEqual((await back).map((m) => (m as { i: number }).i), [...Array(100).keys()]);
  await settle();
  // Settled: b and c carry envelopes, but hold no port of this channel.
  for (const hop of hops) hop.close();
  await settle();
  assert.equal(openPorts(b) + openPorts(c), 0, 'no proxy ports left on the relays');
  assert.ok(b.relay.stats().relayed > 0 && c.relay.stats().relayed > 0, 'the traffic went through the relays');
  assert.equal(d.relay.isRelayed(a.id), true);
  port1.close();
  const closed = next(last, 'close');
  await closed;
  await settle();
  for (const node of nodes) {
    assert.equal(node.boundPorts, 0);
    assert.equal(openPorts(node), 0);
    node.close();
  }
});

test('relay: the node in the middle dies → ports whose peer was behind it get close; others live on', async () => {
  const nodes = await chain(3);
  const [a, b, c] = nodes as [RealmNode, RealmNode, RealmNode];
  const { port1, port2 } = new MessageChannel();
  const { last, hops } = await passAlong(nodes, port2);
  const seen = collect(last, 1);
  port1.postMessage('before');
  assert.deepEqual(await seen, ['before']);
  const closedAtA = next(port1, 'close');
  const closedAtC = next(last, 'close');
  // b stops: its transports break (a process killed).
  for (const transport of transportsOf(b)) transport.sever();
  await Promise.all([closedAtA, closedAtC]);
  assert.equal(a.relay.stats().lost >= 1 && c.relay.stats().lost >= 1, true);
  for (const hop of hops) hop.close();
  await settle();
  for (const node of nodes) node.close();
});

test('relay: the far end dies → the relay tells the other end, which gets close', async () => {
  const nodes = await chain(3);
  const [a, , c] = nodes as [RealmNode, RealmNode, RealmNode];
  const { port1, port2 } = new MessageChannel();
  const { last, hops } = await passAlong(nodes, port2);
  const seen = collect(port1, 1);
  last.postMessage('hi');
  assert.deepEqual(await seen, ['hi']);
  const closed = next(port1, 'close');
  // c's link to b breaks (c's process is gone); a learns it from b, its relay.
  for (const transport of transportsOf(c)) transport.sever();
  await closed;
  assert.ok(nodes[1]!.relay.stats().noticesSent >= 1);
  for (const hop of hops) hop.close();
  await settle();
  for (const node of [a, ...nodes.slice(1)]) node.close();
});

test('relay: envelopes from a neighbour that are truncated cut that neighbour off; a forged envelope for an unknown port is dropped', async () => {
  const nodes = await chain(2);
  const [a, b] = nodes as [RealmNode, RealmNode];
  const [p, q] = await remotePair(a, b);
  // A well-formed envelope "from" a node b never heard of, for a port b does not have: dropped and counted.
  const forged = encodeEvent({ type: 'userMessage', to: randomNodeId(), from: randomNodeId(), seq: 0, hops: 0, payload: new Uint8Array(1), ports: [] });
  const envelope = new Uint8Array(2 + 32 + forged.length);
  envelope[0] = 0x40;
  envelope[1] = 3;
  envelope.set(hexBytes(b.id), 2);
  envelope.set(hexBytes(randomNodeId()), 18);
  envelope.set(forged, 34);
  const before = b.node.stats().dropped.unknownPort;
  a.links.send(b.id, envelope);
  await settle();
  assert.equal(b.node.stats().dropped.unknownPort, before + 1);
  assert.equal(b.links.has(a.id), true, 'a well-formed envelope does not cut the link');
  const closed = next(q, 'close');
  // a "relays" a truncated envelope to b: b cuts a off, and q (peer on a) gets close.
  a.links.send(b.id, Uint8Array.of(0x40, 1, 2, 3));
  await closed;
  assert.equal(b.links.has(a.id), false);
  p.close();
  for (const node of nodes) node.close();
});

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}
