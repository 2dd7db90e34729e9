// The link handshake: hello + HMAC challenge–response. Every refusal closes the transport,
// rejects attach with a typed code, is counted, and leaves other links alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/link/clock.ts';
import { decodeFrame, encodeHello, FRAME_HELLO, FRAME_PROOF, HELLO_FLAG_TOKEN } from '../../src/link/frames.ts';
import type { MemoryTransport } from '../../src/transports/memory.ts';
import { advance, assertCode, assertNoLeaks, connect, makeNode, numbered, outcome, pair, settle, type TestNode } from './helpers.ts';

/** `node` accepts a transport whose other end the test drives by hand; frames it gets are recorded. */
function rawPeer(clock: ManualClock, node: TestNode): { raw: MemoryTransport; frames: Uint8Array[]; closed: () => boolean; attached: Promise<string> } {
  const [raw, end] = pair(clock);
  const frames: Uint8Array[] = [];
  let closed = false;
  raw.onframe = (frame) => frames.push(frame);
  raw.onclose = () => { closed = true; };
  const attached = node.links.attach(end, { role: 'accept' });
  attached.catch(() => {});
  return { raw, frames, closed: () => closed, attached };
}

async function assertRefused(clock: ManualClock, node: TestNode, attached: Promise<string>, code: string): Promise<void> {
  await settle(clock, [node]);
  const { error } = await outcome(attached);
  assertCode(error, code);
  assert.equal(node.links.stats().rejected[code as keyof ReturnType<typeof node.links.stats>['rejected']], 1);
  assert.equal(node.links.stats().handshakes, 0);
  assert.equal(node.events.filter((e) => e.kind === 'peerUp').length, 0);
}

test('link handshake: two nodes without a token link up, each learns the other\'s id', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b);
  assert.deepEqual(a.events, [{ kind: 'peerUp', peer: b.id }]);
  assert.deepEqual(b.events, [{ kind: 'peerUp', peer: a.id }]);
  assert.deepEqual(a.links.peers(), [b.id]);
  assert.equal(a.links.stats().attached, 1);
  await assertNoLeaks(clock, [a, b]);
});

test('link handshake: two nodes with the same token link up and exchange messages', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { token: 's3cret' });
  const b = makeNode(clock, { token: 's3cret' });
  await connect(clock, a, b);
  a.links.send(b.id, numbered(1));
  b.links.send(a.id, numbered(2));
  await settle(clock, [a, b]);
  assert.equal(b.received.get(a.id)?.length, 1);
  assert.equal(a.received.get(b.id)?.length, 1);
  await assertNoLeaks(clock, [a, b]);
});

test('link handshake: the token is never sent in clear', async () => {
  const clock = new ManualClock();
  const token = 'a-token-that-must-not-leak';
  const a = makeNode(clock, { token });
  const b = makeNode(clock, { token });
  const [ta, tb] = pair(clock);
  const seen: Uint8Array[] = [];
  for (const t of [ta, tb]) {
    const send = t.send.bind(t);
    t.send = (frame) => { seen.push(frame); send(frame); };
  }
  const done = Promise.all([a.links.attach(ta, { role: 'dial' }), b.links.attach(tb, { role: 'accept' })]);
  await settle(clock, [a, b]);
  await done;
  const needle = Buffer.from(token);
  for (const frame of seen) assert.equal(Buffer.from(frame).indexOf(needle), -1);
  await assertNoLeaks(clock, [a, b]);
});

test('link handshake: a wrong token is ENTANGLE_LINK_AUTH on both sides, transport closed', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { token: 'one' });
  const b = makeNode(clock, { token: 'two' });
  const [ta, tb] = pair(clock);
  const pa = a.links.attach(ta, { role: 'dial' });
  const pb = b.links.attach(tb, { role: 'accept' });
  pa.catch(() => {});
  pb.catch(() => {});
  await settle(clock, [a, b]);
  assertCode((await outcome(pa)).error, 'ENTANGLE_LINK_AUTH');
  assertCode((await outcome(pb)).error, 'ENTANGLE_LINK_AUTH');
  assert.ok(ta.closed && tb.closed);
  assert.deepEqual(a.events, []);
  assert.equal(a.links.stats().rejected.ENTANGLE_LINK_AUTH, 1);
  await assertNoLeaks(clock, [a, b]);
});

test('link handshake: a token on one side only is ENTANGLE_LINK_AUTH on both sides', async () => {
  for (const [tokenA, tokenB] of [['t', undefined], [undefined, 't']] as const) {
    const clock = new ManualClock();
    const a = makeNode(clock, tokenA === undefined ? {} : { token: tokenA });
    const b = makeNode(clock, tokenB === undefined ? {} : { token: tokenB });
    const [ta, tb] = pair(clock);
    const pa = a.links.attach(ta, { role: 'dial' });
    const pb = b.links.attach(tb, { role: 'accept' });
    pa.catch(() => {});
    pb.catch(() => {});
    await settle(clock, [a, b]);
    assertCode((await outcome(pa)).error, 'ENTANGLE_LINK_AUTH');
    assertCode((await outcome(pb)).error, 'ENTANGLE_LINK_AUTH');
    await assertNoLeaks(clock, [a, b]);
  }
});

test('link handshake: a hello of another protocol version is ENTANGLE_LINK_VERSION', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const { raw, attached, closed } = rawPeer(clock, a);
  const hello = encodeHello({ flags: 0, node: 'ab'.repeat(16), nonce: new Uint8Array(32).fill(7), maxFrameBytes: 65536 });
  hello[5] = 2;
  raw.send(hello);
  await assertRefused(clock, a, attached, 'ENTANGLE_LINK_VERSION');
  assert.ok(closed());
  await assertNoLeaks(clock, [a]);
});

test('link handshake: garbage is ENTANGLE_LINK_PROTOCOL, never an engine error', async () => {
  const garbage = [
    new Uint8Array(0),
    Uint8Array.of(0xff, 1, 2, 3),
    Uint8Array.from(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
    Uint8Array.of(FRAME_HELLO, 0x45, 0x4e, 0x54), // truncated magic
    Uint8Array.of(FRAME_HELLO, 0x45, 0x4e, 0x54, 0x4c, 1, 0), // right version, cut short
    Uint8Array.of(FRAME_PROOF, ...new Uint8Array(24)), // a proof before any hello
    Uint8Array.of(0x03, 0, 1, 1, 0), // data before the handshake
  ];
  for (const frame of garbage) {
    const clock = new ManualClock();
    const a = makeNode(clock);
    const { raw, attached, closed } = rawPeer(clock, a);
    raw.send(frame);
    await assertRefused(clock, a, attached, 'ENTANGLE_LINK_PROTOCOL');
    assert.ok(closed(), 'transport closed');
    await assertNoLeaks(clock, [a]);
  }
});

test('link handshake: a frame over maxFrameBytes is ENTANGLE_LINK_FRAME_TOO_LARGE', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { limits: { maxFrameBytes: 1024 } });
  const { raw, attached } = rawPeer(clock, a);
  raw.send(new Uint8Array(1025));
  await assertRefused(clock, a, attached, 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  await assertNoLeaks(clock, [a]);
});

test('link handshake: a peer that never finishes (slowloris) is ENTANGLE_LINK_HANDSHAKE_TIMEOUT', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { token: 't', limits: { handshakeTimeoutMs: 5000 } });
  // One says nothing; the other sends a valid hello and then nothing.
  const silent = rawPeer(clock, a);
  const halfway = rawPeer(clock, a);
  halfway.raw.send(encodeHello({ flags: HELLO_FLAG_TOKEN, node: 'cd'.repeat(16), nonce: new Uint8Array(32).fill(9), maxFrameBytes: 65536 }));
  await advance(clock, 4999, [a]);
  assert.equal(a.links.stats().handshakes, 2);
  await advance(clock, 1, [a]);
  assertCode((await outcome(silent.attached)).error, 'ENTANGLE_LINK_HANDSHAKE_TIMEOUT');
  assertCode((await outcome(halfway.attached)).error, 'ENTANGLE_LINK_HANDSHAKE_TIMEOUT');
  assert.ok(silent.closed() && halfway.closed());
  assert.equal(a.links.stats().rejected.ENTANGLE_LINK_HANDSHAKE_TIMEOUT, 2);
  await assertNoLeaks(clock, [a]);
});

test('link handshake: a replayed handshake of an earlier session fails ENTANGLE_LINK_AUTH', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { token: 't' });
  const b = makeNode(clock, { token: 't' });
  // Record what b sends in a real handshake with a.
  const [ta, tb] = pair(clock);
  const recorded: Uint8Array[] = [];
  const send = tb.send.bind(tb);
  tb.send = (frame) => { recorded.push(frame); send(frame); };
  const done = Promise.all([a.links.attach(ta, { role: 'dial' }), b.links.attach(tb, { role: 'accept' })]);
  await settle(clock, [a, b]);
  await done;
  const [hello, proof] = recorded;
  assert.equal(hello![0], FRAME_HELLO);
  assert.equal(proof![0], FRAME_PROOF);
  // An attacker replays b's hello and proof to a on a new connection.
  const attacker = rawPeer(clock, a);
  attacker.raw.send(hello!);
  attacker.raw.send(proof!);
  await settle(clock, [a, b]);
  assertCode((await outcome(attacker.attached)).error, 'ENTANGLE_LINK_AUTH');
  // The real link is unaffected.
  a.links.send(b.id, numbered(1));
  await settle(clock, [a, b]);
  assert.equal(b.received.get(a.id)?.length, 1);
  assert.deepEqual(a.lost.size, 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link handshake: a reflected hello (our own node id) is ENTANGLE_LINK_PROTOCOL', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const { raw, frames, attached } = rawPeer(clock, a);
  await settle(clock, [a]);
  assert.equal(decodeFrame(frames[0]!).type, FRAME_HELLO);
  raw.send(frames[0]!);
  await assertRefused(clock, a, attached, 'ENTANGLE_LINK_PROTOCOL');
  await assertNoLeaks(clock, [a]);
});

test('link handshake: refused transports leave an established link untouched', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b);
  for (const frame of [Uint8Array.of(9), new Uint8Array(64)]) {
    const { raw, attached } = rawPeer(clock, a);
    raw.send(frame);
    await settle(clock, [a, b]);
    assert.ok((await outcome(attached)).error !== undefined);
  }
  a.links.send(b.id, numbered(1));
  await settle(clock, [a, b]);
  assert.equal(b.received.get(a.id)?.length, 1);
  assert.equal(a.lost.size + b.lost.size, 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link handshake: attach after close rejects ENTANGLE_LINK_CLOSED and closes the transport', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  a.links.close();
  const [t] = pair(clock);
  const { error } = await outcome(a.links.attach(t, { role: 'dial' }));
  assertCode(error, 'ENTANGLE_LINK_CLOSED');
  await settle(clock, [a]);
  assert.ok(t.closed);
  await assertNoLeaks(clock, [a]);
});

test('link handshake: bad options are TypeErrors', () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const [t] = pair(clock);
  assert.throws(() => a.links.attach(t, { role: 'listen' as 'dial' }), TypeError);
  assert.throws(() => a.links.attach(t, { role: 'accept', expectedPeer: 'ab'.repeat(16) }), TypeError);
  assert.throws(() => a.links.attach(t, { role: 'dial', expectedPeer: 'XYZ' }), TypeError);
  assert.throws(() => makeNode(clock, { token: '' }), TypeError);
  assert.throws(() => makeNode(clock, { limits: { maxFrameBytes: 10 } }), RangeError);
  assert.throws(() => makeNode(clock, { limits: { heartbeatTimeoutMs: 500 } }), RangeError);
  assert.throws(() => makeNode(clock, { limits: { graceMs: -1 } }), TypeError);
  a.links.close();
  assert.equal(clock.pending, 0);
});
