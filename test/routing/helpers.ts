// Shared helpers for the routing unit tests: a few named nodes in the simulator's world, an
// application that records what each port received, and the no-leak check every test ends with.

import assert from 'node:assert/strict';
import type { NodeStats, PortId, RoutedMessage, RoutingLimits } from '../../src/routing/index.ts';
import { Rng } from '../sim/rng.ts';
import { World, type WorldNode } from '../sim/world.ts';

export interface Received {
  readonly text: string;
  readonly ports: readonly PortId[];
}

export interface TestWorld {
  readonly world: World;
  readonly nodes: WorldNode[];
  /** What each port received, in order (taken as soon as its status changes, unless held back). */
  readonly inbox: Map<PortId, Received[]>;
  /** Ports that saw peerClosed. */
  readonly peerClosed: Set<PortId>;
  /** Ports introduced to each node, in order. */
  readonly introduced: Map<WorldNode, PortId[]>;
  /** Ports the test owns, per node (created, introduced, received): closed by closeAllAndCheckIdle. */
  readonly owned: Map<WorldNode, Set<PortId>>;
  /** Ports whose messages are left queued. */
  readonly holdBack: Set<PortId>;
  /** Called from inside portStatusChanged, after the messages are taken (reentrancy tests). */
  onStatus?: (node: WorldNode, port: PortId) => void;
}

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** `count` nodes named n0, n1 …; every event goes through the codec (and is checked to round-trip). */
export function setup(count: number, seed = 1, limits?: Partial<RoutingLimits>): TestWorld {
  const t: TestWorld = {
    world: undefined as unknown as World, nodes: [], inbox: new Map(), peerClosed: new Set(), introduced: new Map(),
    owned: new Map(), holdBack: new Set(),
  };
  const world = new World({ rng: new Rng(seed), checkCodec: true, ...(limits !== undefined && { limits }) }, {
    portStatusChanged(wn, port) {
      // Only ports the application holds: a port inside an untaken message is not its to read.
      if (t.owned.get(wn)!.has(port) && !t.holdBack.has(port)) take(t, wn, port);
      if (wn.node.status(port)?.peerClosed) t.peerClosed.add(port);
      t.onStatus?.(wn, port);
    },
    portIntroduced(wn, _from, port) {
      t.introduced.get(wn)!.push(port);
      t.owned.get(wn)!.add(port);
      take(t, wn, port);
    },
  });
  (t as { world: World }).world = world;
  for (let i = 0; i < count; i++) {
    const wn = world.addNode(`n${i}`);
    t.nodes.push(wn);
    t.introduced.set(wn, []);
    t.owned.set(wn, new Set());
  }
  return t;
}

/** Take every available message at `port` into the inbox; the ports inside become owned. */
export function take(t: TestWorld, wn: WorldNode, port: PortId): void {
  let list = t.inbox.get(port);
  if (list === undefined) t.inbox.set(port, (list = []));
  for (let m: RoutedMessage | undefined = wn.node.takeMessage(port); m !== undefined; m = wn.node.takeMessage(port)) {
    list.push({ text: dec(m.payload), ports: m.ports });
    for (const p of m.ports) {
      t.owned.get(wn)!.add(p);
      if (!t.holdBack.has(p)) take(t, wn, p);
    }
  }
  if (wn.node.status(port)?.peerClosed) t.peerClosed.add(port);
}

export function texts(t: TestWorld, port: PortId): string[] {
  return (t.inbox.get(port) ?? []).map((r) => r.text);
}

/** A new port pair on `wn`, owned by the test. */
export function pair(t: TestWorld, wn: WorldNode): [PortId, PortId] {
  const [a, b] = wn.node.createPortPair();
  t.owned.get(wn)!.add(a);
  t.owned.get(wn)!.add(b);
  return [a, b];
}

/** A channel between two nodes, settled: [port on a, port on b]. */
export function link(t: TestWorld, a: WorldNode, b: WorldNode): [PortId, PortId] {
  const [p, q] = pair(t, a);
  introduce(t, a, b, q);
  t.world.drain();
  return [p, t.introduced.get(b)!.at(-1)!];
}

export function introduce(t: TestWorld, from: WorldNode, to: WorldNode, port: PortId): void {
  t.owned.get(from)!.delete(port);
  from.node.introduce(to.id, port);
}

export function send(t: TestWorld, wn: WorldNode, port: PortId, text: string, ports: PortId[] = []): void {
  for (const p of ports) t.owned.get(wn)!.delete(p);
  wn.node.sendMessage(port, { payload: enc(text), ports });
}

/** The single port that arrived inside the last message at `port`. */
export function arrived(t: TestWorld, port: PortId): PortId {
  const last = t.inbox.get(port)?.at(-1);
  assert.ok(last !== undefined && last.ports.length === 1, 'expected one port inside the last message');
  return last.ports[0]!;
}

export function stats(wn: WorldNode): NodeStats {
  return wn.node.stats();
}

/** Total events forwarded by all nodes so far. */
export function forwarded(t: TestWorld): number {
  return t.nodes.reduce((sum, wn) => sum + wn.node.stats().forwarded, 0);
}

/** No port, proxy, parked event or pending request on any live node. */
export function assertIdle(t: TestWorld): void {
  for (const wn of t.nodes) {
    if (!wn.alive) continue;
    const s = wn.node.stats();
    assert.deepEqual(
      { ports: s.ports, queued: s.queued, parked: s.parked, pendingAccepts: s.pendingAccepts, introduced: s.introduced },
      { ports: { receiving: 0, buffering: 0, proxying: 0, closed: 0 }, queued: 0, parked: 0, pendingAccepts: 0, introduced: 0 },
      `${wn.name} is not idle`,
    );
  }
}

/** Only ports and proxies the test expects: nothing buffering, proxying, parked or closed-but-lingering. */
export function assertSettled(t: TestWorld): void {
  for (const wn of t.nodes) {
    if (!wn.alive) continue;
    const s = wn.node.stats();
    assert.deepEqual(
      { buffering: s.ports.buffering, proxying: s.ports.proxying, closed: s.ports.closed, parked: s.parked, pendingAccepts: s.pendingAccepts },
      { buffering: 0, proxying: 0, closed: 0, parked: 0, pendingAccepts: 0 },
      `${wn.name} has not settled`,
    );
  }
}

/** The end of every test: close every port the test owns, let the world drain, and check that nothing leaked. */
export function closeAllAndCheckIdle(t: TestWorld): void {
  t.world.drain();
  for (const wn of t.nodes) {
    if (!wn.alive) continue;
    for (const port of t.owned.get(wn)!) wn.node.closePort(port);
    t.owned.get(wn)!.clear();
  }
  t.world.drain();
  assertIdle(t);
}

export function dropped(t: TestWorld, wn: WorldNode): NodeStats['dropped'] {
  return wn.node.stats().dropped;
}
