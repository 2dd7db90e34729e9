// The short form of a port's messages between neighbours (src/realm/handles.ts; docs/protocol.md,
// "Handles"): what goes on the link, that moving a peer rebinds, and that handles are given back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RealmNode } from '../../src/realm/realm-node.ts';
import { decodeHandleRecord, EventTag, HandleTag, MAX_HANDLES } from '../../src/routing/codec.ts';
import type { MessagePort } from '../../src/spec/message-port.ts';
import { collect, link, linkedNodes, next, remotePair, settle, transportsOf, type PortMessageEvent } from './helpers.ts';

/** Every link message `node` sends from now on, with the neighbour it goes to. */
function watchLinks(node: RealmNode): { to: string; bytes: Uint8Array }[] {
  const sent: { to: string; bytes: Uint8Array }[] = [];
  const links = node.links;
  const send = links.send;
  links.send = (to, bytes) => {
    sent.push({ to, bytes: bytes.slice() });
    return send.call(links, to, bytes);
  };
  return sent;
}

const tags = (sent: { bytes: Uint8Array }[]): number[] => sent.map(({ bytes }) => bytes[0]!);

/** Three linked nodes: a's port toB, its peer fromA on b, and pairs b → c and c → b to move fromA with. */
async function movingPeer(): Promise<{
  a: RealmNode; b: RealmNode; c: RealmNode; toB: MessagePort; fromA: MessagePort;
  bToC: MessagePort; cFromB: MessagePort; cToB: MessagePort; bFromC: MessagePort;
}> {
  const [a, b, c] = (await linkedNodes(3)) as [RealmNode, RealmNode, RealmNode];
  const [toB, fromA] = await remotePair(a, b);
  const [bToC, cFromB] = await remotePair(b, c);
  const [cToB, bFromC] = await remotePair(c, b);
  return { a, b, c, toB, fromA, bToC, cFromB, cToB, bFromC };
}

/** Sends `port` through `through` and resolves with it as `at` (started here) receives it. */
async function carry(port: MessagePort, through: MessagePort, at: MessagePort): Promise<MessagePort> {
  const arrived = next(at);
  at.start();
  through.postMessage('carry', [port]);
  return (await arrived).ports[0]!;
}

/** What the ports listened to receive, in one list (a port stops being heard when it moves on). */
function collector(): { received: unknown[]; listen(port: MessagePort): void } {
  const received: unknown[] = [];
  return { received, listen: (port) => { port.onmessage = ({ data }: PortMessageEvent) => received.push(data); } };
}

test('realm: the steady state goes in the short form — one bind, then each message names its ports by a handle (a few bytes, not two 16-byte ids)', async () => {
  const [a, b] = await linkedNodes(2);
  const [toB, fromA] = await remotePair(a!, b!);
  // Until b's end accepts a's, a's posts wait at a and go as events: the steady state comes after.
  await settle();
  const sent = watchLinks(a!);
  const got = collect(fromA, 1000);
  for (let i = 0; i < 1000; i++) toB.postMessage(i);
  assert.deepEqual(await got, Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(tags(sent), [HandleTag.bind, ...Array(1000).fill(HandleTag.message)]);
  const bind = decodeHandleRecord(sent[0]!.bytes);
  assert.equal(bind.handle, 0);
  // tag, handle, seq (≤ 2 bytes here), hops, then the payload alone.
  const largest = Math.max(...sent.slice(1).map(({ bytes }) => bytes.length - decodeHandleRecord(bytes).payload.length));
  assert.ok(largest <= 5, `${largest} bytes around a payload`);
  assert.equal(a!.handlesInUse, 1);
  const closed = next(fromA, 'close');
  toB.close();
  await closed;
  assert.equal(a!.handlesInUse, 0, 'a closed port gives its handle back');
  a!.close();
  b!.close();
});

test('realm: a peer that moves away and back to the same node gets the handle bound again to its new port; order holds throughout', async () => {
  const { a, b, c, toB, fromA, bToC, cFromB, cToB, bFromC } = await movingPeer();
  const before = watchLinks(a);
  const { received, listen } = collector();
  listen(fromA);
  toB.postMessage(0);
  await settle();
  const firstBind = before.map(({ bytes }) => bytes).filter((bytes) => bytes[0] === HandleTag.bind).map((bytes) => decodeHandleRecord(bytes))[0];
  assert.ok(firstBind !== undefined);
  const sent = watchLinks(a);
  // b's end goes to c and straight back to b while a stays silent: a's next post finds its
  // handle naming the port that left.
  fromA.onmessage = null;
  const atC = await carry(fromA, bToC, cFromB);
  const backAtB = await carry(atC, cToB, bFromC);
  listen(backAtB);
  for (let i = 1; i <= 100; i++) toB.postMessage(i);
  await settle(50);
  assert.deepEqual(received, Array.from({ length: 101 }, (_, i) => i));
  const binds = sent.filter(({ bytes }) => bytes[0] === HandleTag.bind).map(({ to, bytes }) => ({ link: to, ...decodeHandleRecord(bytes) }));
  // The first bind went before the watch; the one after names the new port with the same handle, on the same link.
  assert.equal(binds.length, 1);
  assert.equal(binds[0]!.link, b.id);
  assert.equal(binds[0]!.handle, 0);
  assert.notEqual(binds[0]!.to, firstBind!.to, 'bound to the port that came back');
  assert.equal(binds[0]!.from, firstBind!.from);
  assert.equal(a.handlesInUse, 1);
  for (const port of [toB, backAtB, bToC, cFromB, cToB, bFromC]) port.close();
  for (const node of [a, b, c]) node.close();
});

test('realm: every port to a neighbour gets its own handle; closed ones are reused', async () => {
  const [a, b] = await linkedNodes(2);
  const pairs: [MessagePort, MessagePort][] = [];
  for (let i = 0; i < 5; i++) pairs.push(await remotePair(a!, b!));
  await settle();
  const sent = watchLinks(a!);
  const got = pairs.map(([, far]) => collect(far, 1));
  pairs.forEach(([near], i) => near.postMessage(i));
  assert.deepEqual(await Promise.all(got), [[0], [1], [2], [3], [4]]);
  const handles = sent.filter(({ bytes }) => bytes[0] === HandleTag.bind).map(({ bytes }) => decodeHandleRecord(bytes).handle);
  assert.deepEqual(handles.sort(), [0, 1, 2, 3, 4]);
  assert.equal(a!.handlesInUse, 5);
  const closed = next(pairs[2]![1], 'close');
  pairs[2]![0].close();
  await closed;
  const [near, far] = await remotePair(a!, b!);
  await settle();
  const more = collect(far, 1);
  near.postMessage('new');
  assert.deepEqual(await more, ['new']);
  assert.equal(decodeHandleRecord(sent.filter(({ bytes }) => bytes[0] === HandleTag.bind).at(-1)!.bytes).handle, 2, 'the freed handle');
  for (const [x, y] of [...pairs, [near, far] as const]) {
    x.close();
    y.close();
  }
  await settle();
  assert.equal(a!.handlesInUse, 0);
  a!.close();
  b!.close();
});

test('realm: a large message in the short form goes as two pieces (header, then the payload uncopied) and arrives whole, in order with small ones', async () => {
  const [a, b] = await linkedNodes(2);
  const [toB, fromA] = await remotePair(a!, b!);
  await settle();
  const links = a!.links;
  const pieces: number[][] = [];
  const sendPieces = links.sendPieces;
  links.sendPieces = (to, list) => {
    pieces.push(list.map((piece) => piece.length));
    return sendPieces.call(links, to, list);
  };
  const buffers = [1, 2, 3].map((n) => new Uint8Array(64 * 1024).fill(n).buffer);
  const got = collect(fromA, 6);
  buffers.forEach((buffer, i) => {
    toB.postMessage(buffer);
    toB.postMessage(`after ${i}`);
  });
  const values = await got;
  assert.deepEqual(values.filter((v) => typeof v === 'string'), ['after 0', 'after 1', 'after 2']);
  values.filter((v) => v instanceof ArrayBuffer).forEach((buffer, i) => assert.deepEqual(new Uint8Array(buffer as ArrayBuffer), new Uint8Array(buffers[i]!)));
  assert.equal(pieces.length, 3, 'the three buffers, not the strings');
  for (const [header, payload] of pieces) assert.ok(header! <= 5 && payload! > 64 * 1024, `${header} + ${payload}`);
  toB.close();
  a!.close();
  b!.close();
});

test('realm: binds and short messages are resent with the rest when a transport drops and comes back within the grace period: nothing lost, in order', async () => {
  const [a, b] = await linkedNodes(2, { linkLimits: { graceMs: 5_000, heartbeatIntervalMs: 10, heartbeatTimeoutMs: 60 } });
  const [toB, fromA] = await remotePair(a!, b!);
  await settle();
  const sent = watchLinks(a!);
  const seen = collect(fromA, 300);
  for (let i = 0; i < 100; i++) toB.postMessage(i);
  // A second port's first messages (a bind, then short ones) go out while the transport is down.
  const [other, otherFar] = await remotePair(a!, b!);
  await settle();
  const seenOther = collect(otherFar, 50);
  for (const transport of transportsOf(a!)) transport.sever();
  for (let i = 100; i < 300; i++) toB.postMessage(i);
  for (let i = 0; i < 50; i++) other.postMessage(`other ${i}`);
  await link(a!, b!);
  assert.deepEqual(await seen, Array.from({ length: 300 }, (_, i) => i));
  assert.deepEqual(await seenOther, Array.from({ length: 50 }, (_, i) => `other ${i}`));
  assert.ok(a!.links.stats().resentMessages > 0, 'some were resent on the new transport');
  const shortForm = sent.filter(({ bytes }) => bytes[0] === HandleTag.message).length;
  assert.ok(shortForm >= 300, `${shortForm} messages in the short form`);
  for (const port of [toB, fromA, other, otherFar]) port.close();
  a!.close();
  b!.close();
});

test('realm: past the last handle to a neighbour (4,096 ports sending at once), messages go as events; a freed handle is used again', async () => {
  // Each port is opened by an introduction, which a node limits per neighbour to 4,096 by default.
  const [a, b] = await linkedNodes(2, { routingLimits: { maxIntroducedPorts: 8192 } });
  const count = MAX_HANDLES + 4;
  const far: MessagePort[] = [];
  const arrived = new Promise<void>((resolve) => {
    b!.addEventListener('connect', (event) => {
      far.push((event as unknown as PortMessageEvent).ports[0]!);
      if (far.length === count) resolve();
    });
  });
  const near = Array.from({ length: count }, () => a!.openPort(b!.id));
  await arrived;
  await settle(50);
  const sent = watchLinks(a!);
  let got = 0;
  const all = new Promise<void>((resolve) => {
    for (const port of far) port.onmessage = () => { if (++got === count) resolve(); };
  });
  near.forEach((port, i) => port.postMessage(i));
  await all;
  assert.equal(a!.handlesInUse, MAX_HANDLES);
  const binds = sent.filter(({ bytes }) => bytes[0] === HandleTag.bind).length;
  const events = sent.filter(({ bytes }) => bytes[0] === EventTag.userMessage).length;
  assert.deepEqual([binds, events], [MAX_HANDLES, count - MAX_HANDLES]);
  // One port closes: the next port to send without a handle takes its handle.
  const closed = next(far[0]!, 'close');
  near[0]!.close();
  await closed;
  const last = near[count - 1]!;
  const one = new Promise((resolve) => { far[count - 1]!.onmessage = resolve; });
  last.postMessage('again');
  await one;
  assert.equal(a!.handlesInUse, MAX_HANDLES);
  // near[0] sent first, so it held handle 0.
  assert.equal(decodeHandleRecord(sent.filter(({ bytes }) => bytes[0] === HandleTag.bind).at(-1)!.bytes).handle, 0);
  assert.equal(sent.at(-1)!.bytes[0], HandleTag.message);
  a!.close();
  b!.close();
});

test('realm: a peer that moves to another neighbour and back: a handle on each link in turn, the first given back and bound again; order holds', async () => {
  const { a, b, c, toB, fromA, bToC, cFromB, cToB, bFromC } = await movingPeer();
  const { received, listen } = collector();
  listen(fromA);
  toB.postMessage(0);
  await settle();
  const sent = watchLinks(a);
  fromA.onmessage = null;
  const atC = await carry(fromA, bToC, cFromB);
  listen(atC);
  // Until the route settles, a's posts go through the proxy left at b (on a's handle to b).
  await settle(50);
  for (let i = 1; i <= 50; i++) toB.postMessage(i);
  await settle(50);
  atC.onmessage = null;
  const backAtB = await carry(atC, cToB, bFromC);
  listen(backAtB);
  for (let i = 51; i <= 100; i++) toB.postMessage(i);
  await settle(50);
  assert.deepEqual(received, Array.from({ length: 101 }, (_, i) => i));
  const binds = sent.filter(({ bytes }) => bytes[0] === HandleTag.bind).map(({ to, bytes }) => ({ link: to, handle: decodeHandleRecord(bytes).handle }));
  assert.deepEqual(binds, [{ link: c.id, handle: 0 }, { link: b.id, handle: 0 }]);
  assert.equal(a.handlesInUse, 1);
  for (const port of [toB, backAtB, bToC, cFromB, cToB, bFromC]) port.close();
  for (const node of [a, b, c]) node.close();
});
