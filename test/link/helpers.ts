// Shared helpers for the link tests: nodes on a manual clock that record what their delegate
// hears, connecting them over memory transports, driving time (and WebCrypto's promises), and the
// no-leak check every test ends with.

import assert from 'node:assert/strict';
import { EntangleError } from '../../src/errors.ts';
import { ManualClock } from '../../src/link/clock.ts';
import { Links, type LinksDelegate } from '../../src/link/links.ts';
import type { LinkLimitOptions } from '../../src/link/limits.ts';
import { randomNodeId, type NodeId } from '../../src/link/node-id.ts';
import { MemoryTransport, type MemoryTransportOptions } from '../../src/transports/memory.ts';

export interface DelegateEvent {
  kind: 'peerUp' | 'message' | 'acked' | 'peerLost' | 'detached' | 'resumed';
  peer: NodeId;
  bytes?: Uint8Array;
  upTo?: number;
  error?: EntangleError;
}

export interface TestNode {
  id: NodeId;
  links: Links;
  events: DelegateEvent[];
  /** Message payloads received from each peer, in order. */
  received: Map<NodeId, Uint8Array[]>;
  lost: Map<NodeId, EntangleError>;
  acked: Map<NodeId, number>;
}

/** A deterministic byte source for nonces and node ids. */
export function seededRandom(seed: number): (bytes: Uint8Array) => void {
  let s = seed >>> 0 || 1;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      bytes[i] = s & 0xff;
    }
  };
}

let nextSeed = 1;

export function makeNode(clock: ManualClock, options: { token?: string; limits?: LinkLimitOptions; id?: NodeId; delegate?: Partial<LinksDelegate> } = {}): TestNode {
  const random = seededRandom(nextSeed++);
  const id = options.id ?? randomNodeId(random);
  const node: TestNode = { id, links: undefined as unknown as Links, events: [], received: new Map(), lost: new Map(), acked: new Map() };
  const delegate: LinksDelegate = {
    peerUp: (peer) => node.events.push({ kind: 'peerUp', peer }),
    message: (peer, bytes) => {
      node.events.push({ kind: 'message', peer, bytes });
      let list = node.received.get(peer);
      if (list === undefined) node.received.set(peer, (list = []));
      list.push(bytes);
    },
    acked: (peer, upTo) => {
      node.events.push({ kind: 'acked', peer, upTo });
      node.acked.set(peer, upTo);
    },
    peerLost: (peer, error) => {
      assert.ok(error instanceof EntangleError, 'peerLost carries an EntangleError');
      assert.ok(!node.lost.has(peer) || node.lost.get(peer) !== error, 'peerLost is reported once per loss');
      node.events.push({ kind: 'peerLost', peer, error });
      node.lost.set(peer, error);
    },
    detached: (peer, error) => node.events.push({ kind: 'detached', peer, error }),
    resumed: (peer) => node.events.push({ kind: 'resumed', peer }),
    ...options.delegate,
  };
  node.links = new Links({
    localNode: id,
    delegate,
    clock,
    schedule: (fn) => clock.schedule(fn),
    random,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return node;
}

/** Runs everything due now on the clock, letting WebCrypto's promises settle in between. */
export async function settle(clock: ManualClock, nodes: readonly TestNode[]): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    const ran = clock.runDue();
    const crypto = nodes.some((n) => n.links.stats().handshakesOnCrypto > 0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (ran === 0 && !crypto && clock.runDue() === 0) return;
  }
  throw new Error('settle: did not become idle');
}

/** Steps the clock from task to task (transport delays, timers) until `condition()` holds or nothing is left to run. */
export async function runUntil(clock: ManualClock, nodes: readonly TestNode[], condition: () => boolean, maxSteps = 100_000): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await settle(clock, nodes);
    if (condition() || !clock.step()) return;
  }
  throw new Error('runUntil: too many steps');
}

/** Moves the clock forward `ms`, running every task at its time, settling crypto between tasks. */
export async function advance(clock: ManualClock, ms: number, nodes: readonly TestNode[]): Promise<void> {
  const target = clock.now() + ms;
  for (;;) {
    await settle(clock, nodes);
    const next = clock.nextAt();
    if (next === undefined || next > target) break;
    clock.step();
  }
  clock.advance(target - clock.now());
  await settle(clock, nodes);
}

export function pair(clock: ManualClock, options: Omit<MemoryTransportOptions, 'schedule'> = {}): [MemoryTransport, MemoryTransport] {
  return MemoryTransport.pair({ ...options, schedule: clock.schedule });
}

/** Connects `a` (dialling) and `b` (accepting) over a fresh memory pair; resolves once both handshakes are done. */
export async function connect(clock: ManualClock, a: TestNode, b: TestNode, options: { expectedPeer?: NodeId; transport?: Omit<MemoryTransportOptions, 'schedule'> } = {}): Promise<{ ta: MemoryTransport; tb: MemoryTransport }> {
  const [ta, tb] = pair(clock, options.transport);
  const dialled = a.links.attach(ta, options.expectedPeer === undefined ? { role: 'dial' } : { role: 'dial', expectedPeer: options.expectedPeer });
  const accepted = b.links.attach(tb, { role: 'accept' });
  let done = false;
  void Promise.allSettled([dialled, accepted]).then(() => { done = true; });
  await runUntil(clock, [a, b], () => done);
  assert.equal(await dialled, b.id);
  assert.equal(await accepted, a.id);
  return { ta, tb };
}

/** The outcome of a promise that should have settled by now. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let result: { value?: T; error?: unknown } | undefined;
  promise.then((value) => { result = { value }; }, (error: unknown) => { result = { error }; });
  for (let i = 0; i < 10 && result === undefined; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  assert.ok(result !== undefined, 'promise still pending');
  return result;
}

export function assertCode(error: unknown, code: string): void {
  assert.ok(error instanceof EntangleError, `expected an EntangleError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** A message that says which one it is. */
export function numbered(n: number, size = 4): Uint8Array {
  const out = new Uint8Array(Math.max(4, size));
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function numberOf(message: Uint8Array): number {
  return new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0);
}

/**
 * The end of every test: close every table, let everything run out, and check that nothing is
 * left: no links, no handshakes, no resend buffer, no timers (theirs or the clock's).
 */
export async function assertNoLeaks(clock: ManualClock, nodes: readonly TestNode[]): Promise<void> {
  for (const node of nodes) node.links.close();
  // Only the transports' last deliveries (byes, closes) may be left to run; the tables' timers are gone.
  await runUntil(clock, nodes, () => false, 10_000);
  for (const node of nodes) {
    const stats = node.links.stats();
    assert.equal(stats.links, 0, `${node.id}: links left`);
    assert.equal(stats.handshakes, 0, `${node.id}: handshakes left`);
    assert.equal(stats.unackedBytes, 0, `${node.id}: resend buffer not empty`);
    assert.equal(stats.pendingTimers, 0, `${node.id}: timers left`);
    assert.deepEqual(node.links.peers(), []);
  }
  assert.equal(clock.pending, 0, 'tasks left on the clock');
}
