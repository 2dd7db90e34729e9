// Spec ports whose peers are on another node: the same behaviour as same-node ports, over the
// routing core and links (nodes in one process, linked by in-memory transports).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from '../../src/index.ts';
import type { RealmNode } from '../../src/realm/realm-node.ts';
import { dataOf, type MessagePort } from '../../src/spec/message-port.ts';
import { collect, link, linkedNodes, next, remotePair, settle, transportsOf, type PortMessageEvent } from './helpers.ts';

/** Close every node; then nothing may be left bound or open anywhere. */
async function closeAll(nodes: RealmNode[], ports: MessagePort[]): Promise<void> {
  for (const port of ports) port.close();
  await settle();
  for (const node of nodes) {
    assert.equal(node.boundPorts, 0, 'no spec port left bound to a routing port');
    const stats = node.node.stats();
    const open = Object.values(stats.ports).reduce((sum, n) => sum + n, 0);
    assert.equal(open, 0, `no routing port left on ${node.id}: ${JSON.stringify(stats)}`);
    node.close();
  }
}

test("realm: the seed's three steps across two nodes", async () => {
  const [a, b] = await linkedNodes(2);
  const [toB, fromA] = await remotePair(a!, b!);
  // The other side (node b) answers on whatever port it is handed.
  fromA.onmessage = ({ data, ports: [reply] }: PortMessageEvent) => reply!.postMessage(`hello, ${(data as { name: string }).name}`);
  // 1. Create a channel (on node a). 2. Hand port2 to the other side. 3. Listen.
  const { port1, port2 } = new MessageChannel();
  const answer = next(port1);
  port1.start();
  toB.postMessage({ name: 'entangle' }, [port2]);
  assert.equal((await answer).data, 'hello, entangle');
  await closeAll([a!, b!], [port1, toB, fromA]);
});

test('realm: messages queued at a port travel with it to another node, in order, then new ones follow', async () => {
  const [a, b] = await linkedNodes(2);
  const [toB, fromA] = await remotePair(a!, b!);
  const { port1, port2 } = new MessageChannel();
  for (let i = 0; i < 3; i++) port1.postMessage(i);
  const arrived = next(fromA);
  fromA.start();
  toB.postMessage('take this', [port2]);
  const moved = (await arrived).ports[0]!;
  const seen = collect(moved, 6);
  for (let i = 3; i < 6; i++) port1.postMessage(i);
  assert.deepEqual(await seen, [0, 1, 2, 3, 4, 5]);
  // And back the other way.
  const back = collect(port1, 2);
  moved.postMessage('x');
  moved.postMessage('y');
  assert.deepEqual(await back, ['x', 'y']);
  await closeAll([a!, b!], [port1, moved, toB, fromA]);
});

test('realm: close reaches the peer on another node after every message posted before it', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  const seen: unknown[] = [];
  q.onmessage = ({ data }: PortMessageEvent) => seen.push(data);
  const closed = next(q, 'close');
  for (let i = 0; i < 100; i++) p.postMessage(i);
  p.close();
  await closed;
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
  await closeAll([a!, b!], [q]);
});

test('realm: a port sent to the node of its own peer, and both ends moved at once, keep working', async () => {
  const [a, b] = await linkedNodes(2);
  const [toB, fromA] = await remotePair(a!, b!);
  // fromA sends whatever arrives back to a.
  fromA.onmessage = ({ data, ports }: PortMessageEvent) => fromA.postMessage(data, ports);
  toB.start();
  // One end goes to b and comes back to a, the node of its peer.
  const one = new MessageChannel();
  const returned = next(toB);
  toB.postMessage('one', [one.port2]);
  const back = (await returned).ports[0]!;
  const seenBack = collect(back, 2);
  one.port1.postMessage(1);
  one.port1.postMessage(2);
  assert.deepEqual(await seenBack, [1, 2]);
  // Both ends of another channel travel to b and back in one message.
  const two = new MessageChannel();
  two.port1.postMessage('queued');
  const both = next(toB);
  toB.postMessage('two', [two.port1, two.port2]);
  const [x, y] = (await both).ports as MessagePort[];
  const atY = collect(y!, 2);
  x!.postMessage('after');
  assert.deepEqual(await atY, ['queued', 'after']);
  await closeAll([a!, b!], [one.port1, back, x!, y!, toB, fromA]);
});

test('realm: receiveMessageOnPort takes messages that came from another node, in order', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  p.postMessage({ n: 1 });
  p.postMessage({ n: 2 });
  await settle();
  assert.deepEqual(receiveMessageOnPort(q), { message: { n: 1 } });
  assert.deepEqual(receiveMessageOnPort(q), { message: { n: 2 } });
  assert.equal(receiveMessageOnPort(q), undefined);
  await closeAll([a!, b!], [p, q]);
});

test('realm: spec 16 — a port posted through a port whose peer it is, across a routed pair, dooms the message and the channel', async () => {
  const [a, b] = await linkedNodes(2);
  const [toB, fromA] = await remotePair(a!, b!);
  fromA.onmessage = ({ ports }: PortMessageEvent) => fromA.postMessage(null, ports);
  toB.start();
  // Send port2 to b and back: port1 and port2 are now a routed pair, both on a.
  const { port1, port2 } = new MessageChannel();
  const returned = next(toB);
  toB.postMessage(null, [port2]);
  const back = (await returned).ports[0]!;
  let delivered = false;
  back.onmessage = () => (delivered = true);
  const closed = next(port1, 'close').then(() => 'port1 closed');
  port1.postMessage('lost', [back]);
  await settle();
  assert.equal(delivered, false);
  assert.equal(await Promise.race([closed, settle(200).then(() => 'no close')]), 'port1 closed');
  await closeAll([a!, b!], [port1, toB, fromA]);
});

test('realm: a node that is lost (its link severed past the grace period) fires close at every port whose peer lived there', async () => {
  const [a, b] = await linkedNodesWithGrace(30);
  const [p, q] = await remotePair(a!, b!);
  const [r, s] = await remotePair(b!, a!);
  const closes = Promise.all([next(p, 'close'), next(s, 'close')]);
  p.onmessage = () => {};
  s.onmessage = () => {};
  severAll(a!);
  await closes;
  assert.equal(dataOf(p), dataOf(p), 'still a port object');
  await closeAll([a!, b!], [p, q, r, s]);
});

test('realm: a transport that drops and comes back within the grace period loses nothing', async () => {
  const [a, b] = await linkedNodesWithGrace(5_000);
  const [p, q] = await remotePair(a!, b!);
  const seen = collect(q, 200);
  for (let i = 0; i < 100; i++) p.postMessage(i);
  severAll(a!);
  for (let i = 100; i < 200; i++) p.postMessage(i);
  await link(a!, b!);
  assert.deepEqual(await seen, Array.from({ length: 200 }, (_, i) => i));
  await closeAll([a!, b!], [p, q]);
});

test('realm: bufferedAmount counts bytes not yet acknowledged by the peer node, and bufferedamountlow fires when they are', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  q.onmessage = () => {};
  assert.equal(p.bufferedAmount, 0);
  assert.equal(p.bufferedAmountLowThreshold, 0);
  p.bufferedAmountLowThreshold = 1000;
  const low = next(p, 'bufferedamountlow');
  p.postMessage(new Uint8Array(64 * 1024));
  assert.ok(p.bufferedAmount > 64 * 1024, `bufferedAmount ${p.bufferedAmount} after a 64 KiB post`);
  const event = await low;
  assert.equal(event.isTrusted, true);
  assert.equal(p.bufferedAmount, 0);
  // Same-node ports never buffer.
  const local = new MessageChannel();
  local.port1.postMessage(new Uint8Array(1024));
  assert.equal(local.port1.bufferedAmount, 0);
  local.port1.close();
  await closeAll([a!, b!], [p, q]);
});

test('realm: a Blob crosses to another node in order with the messages around it', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  const seen = collect(q, 3);
  p.postMessage('before');
  p.postMessage(new Blob(['blob bytes'], { type: 'text/plain' }));
  p.postMessage('after');
  const [before, blob, after] = await seen;
  assert.equal(before, 'before');
  assert.ok(blob instanceof Blob);
  assert.equal((blob as Blob).type, 'text/plain');
  assert.equal(await (blob as Blob).text(), 'blob bytes');
  assert.equal(after, 'after');
  await closeAll([a!, b!], [p, q]);
});

test('realm: a post to another node walks the value once: getters run once, in order, with Blobs and Files written in their places', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  const seen = collect(q, 3);
  const calls: string[] = [];
  const blob = new Blob(['blob bytes'], { type: 'text/plain' });
  const file = new File(['file bytes'], 'f.txt', { type: 'text/x', lastModified: 42 });
  const value = {
    get first() { calls.push('first'); return blob; },
    get second() { calls.push('second'); return [file, blob]; },
    get third() { calls.push('third'); return 'plain'; },
  };
  p.postMessage(value);
  p.postMessage('after');
  p.postMessage({ get late() { calls.push('late'); return 1; } });
  assert.deepEqual(calls, ['first', 'second', 'third', 'late'], 'serialized at post time, each getter once');
  const [received, after, late] = await seen as [{ first: Blob; second: [File, Blob]; third: string }, string, unknown];
  assert.deepEqual(calls, ['first', 'second', 'third', 'late'], 'and never again while the Blobs were read');
  assert.equal(await received.first.text(), 'blob bytes');
  assert.equal(received.first.type, 'text/plain');
  assert.ok(received.second[0] instanceof File);
  assert.equal(received.second[0].name, 'f.txt');
  assert.equal(received.second[0].lastModified, 42);
  assert.equal(await received.second[0].text(), 'file bytes');
  assert.equal(received.second[1], received.first, 'the same Blob twice is one Blob (a shared reference)');
  assert.equal(received.third, 'plain');
  assert.equal(after, 'after');
  assert.deepEqual(late, { late: 1 });
  await closeAll([a!, b!], [p, q]);
});

test('realm: a SharedArrayBuffer cannot go to another node: DataCloneError after the whole value was walked, nothing sent', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  const seen = collect(q, 1);
  const calls: string[] = [];
  const value = { shared: new SharedArrayBuffer(8), get after() { calls.push('after'); return 1; } };
  assert.throws(() => p.postMessage(value), (error: unknown) => error instanceof DOMException && error.name === 'DataCloneError');
  assert.deepEqual(calls, ['after'], 'the walk went on past the SharedArrayBuffer, as serialization does');
  assert.throws(() => p.postMessage(() => {}), (error: unknown) => error instanceof DOMException && error.name === 'DataCloneError');
  p.postMessage('still fine');
  assert.deepEqual(await seen, ['still fine']);
  await closeAll([a!, b!], [p, q]);
});

test('realm: bytes from another node that do not decode become a messageerror; the ports that came with them are closed', async () => {
  const [a, b] = await linkedNodes(2);
  const [p, q] = await remotePair(a!, b!);
  const route = dataOf(p)!.route as unknown as { id: string };
  const error = next(q, 'messageerror');
  q.start();
  a!.node.sendMessage(route.id, { payload: new Uint8Array([0xff, 0xff]), ports: [] });
  const event = await error;
  assert.equal(event.data, null);
  // The channel still works afterwards.
  const ok = next(q);
  p.postMessage('still fine');
  assert.equal((await ok).data, 'still fine');
  await closeAll([a!, b!], [p, q]);
});

async function linkedNodesWithGrace(graceMs: number): Promise<RealmNode[]> {
  return linkedNodes(2, { linkLimits: { graceMs, heartbeatIntervalMs: 10, heartbeatTimeoutMs: 60 } });
}

/** Cut every transport of `node` (a crashed network, not a bye). */
function severAll(node: RealmNode): void {
  for (const transport of transportsOf(node)) transport.sever();
}
