// Links across transports: resume within the grace period without loss, duplicate or reorder;
// grace expiry; a restarted peer; heartbeats on a silent transport; a peer that started a new
// session; and a seeded property test with random severs and reconnects.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../../src/link/clock.ts';
import type { LinkLimitOptions } from '../../src/link/limits.ts';
import type { MemoryTransport } from '../../src/transports/memory.ts';
import { advance, assertCode, assertNoLeaks, connect, makeNode, numbered, numberOf, outcome, pair, runUntil, settle, type TestNode } from './helpers.ts';

const kinds = (node: TestNode): string[] => node.events.filter((e) => e.kind !== 'message' && e.kind !== 'acked').map((e) => e.kind);

test('link resume: a transport that drops and a new one within graceMs lose, duplicate and reorder nothing', async () => {
  for (const token of [undefined, 'tok']) {
    const clock = new ManualClock();
    const options = token === undefined ? {} : { token };
    const a = makeNode(clock, options);
    const b = makeNode(clock, options);
    const { ta } = await connect(clock, a, b, { transport: { delay: () => 5 } });
    for (let i = 0; i < 10; i++) a.links.send(b.id, numbered(i));
    for (let i = 0; i < 10; i++) b.links.send(a.id, numbered(i));
    await advance(clock, 1, [a, b]); // written, still in flight
    ta.sever();
    await settle(clock, [a, b]);
    assert.equal(a.links.stats().detached, 1);
    for (let i = 10; i < 20; i++) a.links.send(b.id, numbered(i)); // buffered while detached
    await advance(clock, 1000, [a, b]);
    await connect(clock, a, b, { expectedPeer: b.id });
    for (let i = 20; i < 30; i++) a.links.send(b.id, numbered(i));
    await advance(clock, 100, [a, b]);
    assert.deepEqual(b.received.get(a.id)!.map(numberOf), [...Array(30).keys()]);
    assert.deepEqual(a.received.get(b.id)!.map(numberOf), [...Array(10).keys()]);
    assert.deepEqual(kinds(a), ['peerUp', 'detached', 'resumed']);
    assert.deepEqual(kinds(b), ['peerUp', 'detached', 'resumed']);
    assert.equal(a.links.stats().resumes, 1);
    assert.equal(a.links.unackedBytes(b.id), 0);
    assert.equal(b.links.unackedBytes(a.id), 0);
    await assertNoLeaks(clock, [a, b]);
  }
});

test('link resume: messages delivered but not yet acknowledged before the drop are resent and dropped as duplicates', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { limits: { ackDelayMs: 50 } });
  const b = makeNode(clock, { limits: { ackDelayMs: 50 } });
  const { ta } = await connect(clock, a, b);
  for (let i = 0; i < 5; i++) a.links.send(b.id, numbered(i));
  await settle(clock, [a, b]);
  assert.equal(b.received.get(a.id)!.length, 5);
  assert.equal(a.links.unackedBytes(b.id), 20, 'not acknowledged yet');
  ta.sever();
  await settle(clock, [a, b]);
  await connect(clock, a, b, { expectedPeer: b.id });
  await advance(clock, 100, [a, b]);
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [0, 1, 2, 3, 4]);
  assert.equal(a.links.unackedBytes(b.id), 0, 'the proof\'s lastReceived acknowledged them');
  await assertNoLeaks(clock, [a, b]);
});

test('link resume: a new transport replaces one that still looks alive (the peer noticed the drop first)', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  const first = await connect(clock, a, b);
  for (let i = 0; i < 5; i++) a.links.send(b.id, numbered(i));
  await connect(clock, a, b, { expectedPeer: b.id });
  for (let i = 5; i < 10; i++) a.links.send(b.id, numbered(i));
  await advance(clock, 100, [a, b]);
  assert.ok(first.ta.closed && first.tb.closed, 'the old transport is closed');
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [...Array(10).keys()]);
  assert.equal(a.links.stats().attached, 1);
  assert.equal(a.lost.size + b.lost.size, 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link grace: no new transport within graceMs loses the peer (ENTANGLE_LINK_CLOSED) on both sides', async () => {
  const clock = new ManualClock();
  const limits = { graceMs: 2000 };
  const a = makeNode(clock, { limits });
  const b = makeNode(clock, { limits });
  const { ta } = await connect(clock, a, b);
  a.links.send(b.id, numbered(1));
  ta.sever();
  await advance(clock, 1999, [a, b]);
  assert.equal(a.lost.size, 0);
  assert.equal(a.links.send(b.id, numbered(2)), 2, 'sends are still taken during grace');
  await advance(clock, 1, [a, b]);
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_CLOSED');
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_CLOSED');
  assert.deepEqual(kinds(a), ['peerUp', 'detached', 'peerLost']);
  assert.deepEqual(a.links.peers(), []);
  assert.equal(a.links.stats().pendingTimers, 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link grace: graceMs 0 loses the peer as soon as its transport closes', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { limits: { graceMs: 0 } });
  const b = makeNode(clock, { limits: { graceMs: 0 } });
  const { tb } = await connect(clock, a, b);
  tb.close();
  await settle(clock, [a, b]);
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_CLOSED');
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_CLOSED');
  await assertNoLeaks(clock, [a, b]);
});

test('link restart: dialling the expected peer and reaching a new node id loses the old one (ENTANGLE_LINK_PEER_RESTARTED)', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  const { ta } = await connect(clock, a, b);
  a.links.send(b.id, numbered(1));
  ta.sever();
  b.links.close(); // b's process ends…
  const b2 = makeNode(clock); // …and a new one starts at the same address
  await settle(clock, [a, b, b2]);
  const [t1, t2] = pair(clock);
  const dialled = a.links.attach(t1, { role: 'dial', expectedPeer: b.id });
  b2.links.attach(t2, { role: 'accept' });
  await settle(clock, [a, b2]);
  assert.equal((await outcome(dialled)).value, b2.id);
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_PEER_RESTARTED');
  assert.deepEqual(kinds(a), ['peerUp', 'detached', 'peerLost', 'peerUp']);
  assert.deepEqual(a.links.peers(), [b2.id]);
  assert.equal(b2.received.get(a.id), undefined, 'nothing for the old node reaches the new one');
  await assertNoLeaks(clock, [a, b, b2]);
});

test('link heartbeat: a silent transport is detached after heartbeatTimeoutMs and lost after graceMs (ENTANGLE_LINK_HEARTBEAT_TIMEOUT)', async () => {
  const clock = new ManualClock();
  const limits = { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000, graceMs: 5000 };
  const a = makeNode(clock, { limits });
  const b = makeNode(clock, { limits });
  const { ta } = await connect(clock, a, b);
  ta.blackhole(); // a stopped process: no frame, no close
  await advance(clock, 2999, [a, b]);
  assert.equal(a.links.stats().detached, 0);
  await advance(clock, 1, [a, b]);
  assert.equal(a.links.stats().detached, 1);
  assertCode(a.events.find((e) => e.kind === 'detached')!.error, 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT');
  await advance(clock, 5000, [a, b]);
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT');
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT');
  await assertNoLeaks(clock, [a, b]);
});

test('link heartbeat: an idle, healthy link pings and stays up', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b, { transport: { delay: () => 200 } });
  await advance(clock, 60_000, [a, b]);
  assert.equal(a.links.stats().attached, 1);
  assert.equal(a.lost.size + b.lost.size, 0);
  const pings = a.links.stats().pingsSent;
  assert.ok(pings >= 29 && pings <= 60, `pings: ${pings}`);
  await assertNoLeaks(clock, [a, b]);
});

test('link session: a peer that already lost us starts a new session; what we buffered for the old one is dropped', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { limits: { graceMs: 10_000 } });
  const b = makeNode(clock, { limits: { graceMs: 1000 } });
  const { ta } = await connect(clock, a, b);
  ta.sever();
  await advance(clock, 1500, [a, b]);
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_CLOSED');
  a.links.send(b.id, numbered(99)); // for the old session
  await connect(clock, a, b, { expectedPeer: b.id });
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_CLOSED');
  assert.deepEqual(kinds(a), ['peerUp', 'detached', 'peerLost', 'peerUp']);
  assert.deepEqual(kinds(b), ['peerUp', 'detached', 'peerLost', 'peerUp']);
  assert.equal(a.links.send(b.id, numbered(1)), 1, 'a new session numbers from 1');
  await settle(clock, [a, b]);
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [1]);
  await assertNoLeaks(clock, [a, b]);
});

// --- property: random severs and reconnects ---

type Op =
  | { kind: 'send'; from: 0 | 1; count: number; size: number }
  | { kind: 'sever' }
  | { kind: 'reconnect'; reverse: boolean }
  | { kind: 'freeze' }
  | { kind: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom(0 as const, 1 as const), count: fc.integer({ min: 1, max: 30 }), size: fc.integer({ min: 4, max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sever' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), reverse: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'freeze' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 300 }) }) },
);

function rng(seed: number): () => number {
  let s = seed >>> 0 || 7;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

async function severAndReconnect(ops: Op[], seed: number, severChance: number, token: string | undefined): Promise<void> {
  const clock = new ManualClock();
  const limits: LinkLimitOptions = { graceMs: 1e9, maxFrameBytes: 2048 };
  const options = token === undefined ? { limits } : { limits, token };
  const nodes = [makeNode(clock, options), makeNode(clock, options)] as const;
  const [a, b] = nodes;
  const random = rng(seed);
  // The first session is made without faults: a fresh handshake that breaks after one side
  // finished it rightly ends in peerUp then peerLost there, which this property does not model.
  let faults = false;
  const transportOptions = {
    delay: () => Math.floor(random() * 20),
    severOn: () => faults && random() < severChance,
  };
  let current: MemoryTransport[] = [];
  const dial = (reverse = false): void => {
    const [ta, tb] = pair(clock, transportOptions);
    current = [ta, tb];
    if (reverse) {
      a.links.attach(ta, { role: 'accept' }).catch(() => {});
      b.links.attach(tb, { role: 'dial', expectedPeer: a.id }).catch(() => {});
    } else {
      a.links.attach(ta, { role: 'dial', expectedPeer: b.id }).catch(() => {});
      b.links.attach(tb, { role: 'accept' }).catch(() => {});
    }
  };
  dial();
  await runUntil(clock, nodes, () => a.links.stats().attached + b.links.stats().attached === 2);
  assert.deepEqual(a.links.peers(), [b.id]);
  faults = true;
  const sent: [number, number] = [0, 0];
  for (const op of ops) {
    switch (op.kind) {
      case 'send': {
        const [from, to] = op.from === 0 ? [a, b] : [b, a];
        for (let i = 0; i < op.count; i++) from.links.send(to.id, numbered(sent[op.from]++, op.size));
        break;
      }
      case 'sever':
        current[0]?.sever();
        break;
      case 'reconnect':
        dial(op.reverse);
        break;
      case 'freeze': // a stopped peer: the heartbeat detaches both sides
        current[0]?.blackhole();
        break;
      case 'wait':
        await advance(clock, op.ms, nodes);
        break;
    }
    await settle(clock, nodes);
  }
  faults = false;
  // Heal: no more faults; a frozen transport is noticed by the heartbeat (a new one may rank below
  // it and be refused until then); then dial until both sides are attached.
  await advance(clock, 4500, nodes);
  for (let i = 0; i < 10 && (i === 0 || !(a.links.stats().attached === 1 && b.links.stats().attached === 1)); i++) {
    dial();
    await runUntil(clock, nodes, () => a.links.stats().handshakes + b.links.stats().handshakes === 0);
  }
  await advance(clock, 200, nodes);
  assert.equal(a.lost.size + b.lost.size, 0, 'no peer lost within the grace period');
  assert.deepEqual(b.received.get(a.id)?.map(numberOf) ?? [], [...Array(sent[0]).keys()], 'a → b exactly once, in order');
  assert.deepEqual(a.received.get(b.id)?.map(numberOf) ?? [], [...Array(sent[1]).keys()], 'b → a exactly once, in order');
  assert.equal(a.links.unackedBytes(b.id), 0);
  assert.equal(b.links.unackedBytes(a.id), 0);
  assert.equal(a.acked.get(b.id) ?? 0, sent[0]);
  await assertNoLeaks(clock, nodes);
}

test('link property: random severs (also mid-handshake) and reconnects never lose, duplicate or reorder a message', async () => {
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer(), fc.constantFrom(0, 0.02, 0.1), async (ops, seed, chance) => {
    await severAndReconnect(ops, seed, chance, undefined);
  }), { numRuns: 150, seed: 20240611 });
});

test('link property: the same with a token (asynchronous HMAC in every handshake)', async () => {
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.integer(), async (ops, seed) => {
    await severAndReconnect(ops, seed, 0.05, 'tok');
  }), { numRuns: 25, seed: 7 });
});
