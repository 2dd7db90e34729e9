// One simulated scenario from a seed: random channels, posts, transfers (re-transfers while a
// transfer is in flight, to the node of the port's own peer, both ends at once, ports inside
// queued messages), introductions, closes and node deaths over 2–16 nodes; the application on
// each node, which takes messages as they come and checks their order; then the checks of
// checks.ts. Channel ends are tracked as the application sees them (held, in transit, closed,
// dead), so that what routing delivered can be judged against what was sent.

import type { NodeId, PortId, RoutedMessage } from '../../src/routing/index.ts';
import { checkDelivery, checkDrops, checkLeaks, checkSettled, probe } from './checks.ts';
import { LinkWorld } from './link-world.ts';
import { Rng } from './rng.ts';
import { World, type App, type Network, type WorldNode } from './world.ts';

export interface ScenarioOptions {
  readonly seed: number;
  /** Nodes; default: 2–16, from the seed. */
  readonly nodes?: number;
  /** Random steps (actions and deliveries) before the final drain; default 1000. */
  readonly steps?: number;
  /**
   * Nodes talk through the link layer (Links over memory transports) instead of direct FIFO
   * channels, and transports are severed and redialled at random: routing must not notice.
   */
  readonly links?: boolean;
}

export interface ScenarioResult {
  readonly seed: number;
  readonly nodes: number;
  readonly steps: number;
  readonly violations: string[];
  readonly counts: Counts;
}

export type EndState = 'held' | 'transit' | 'closed' | 'dead';

/** What happened in a scenario (to see that the interesting cases do occur). */
export interface Counts {
  channels: number;
  messages: number;
  /** Ends sent inside messages. */
  transfers: number;
  /** … of which re-sent from inside the delegate callback that delivered them. */
  retransfers: number;
  /** … of which sent to the node where their own peer end was. */
  toPeerNode: number;
  /** Channels whose two ends were sent away in the same instant. */
  bothEnds: number;
  /** Ends sent away with messages still queued at them. */
  withQueue: number;
  introductions: number;
  closes: number;
  deaths: number;
  events: number;
  /** … of which user messages in the short form (forwardMessage → acceptMessage). */
  short: number;
  probes: number;
  /** Events dropped by the nodes for benign reasons (races with closes and deaths). */
  stale: number;
  lostNode: number;
  /** Link mode: transports severed, and links resumed on a new transport. */
  severed: number;
  resumed: number;
}

export interface Channel {
  readonly id: number;
  readonly ends: [End, End];
  /** Every node that held an end, or carried one inside a message (proxies may sit there). */
  readonly nodes: Set<NodeId>;
}

export interface End {
  readonly channel: Channel;
  readonly side: 0 | 1;
  state: EndState;
  node: WorldNode | null;
  port: PortId | null;
  /** Messages posted from this end. */
  sent: number;
  /** Messages taken from the other end (the next one expected is numbered this). */
  received: number;
  paused: boolean;
  /** `received` when peerClosed was first seen. */
  peerClosedAt: number | null;
  /** While in transit: the channel whose message carries it (null: introduced), and the end that message is for. */
  via: Channel | null;
  dest: End | null;
  /** Every node:port it was held as, for violation reports. */
  readonly trail: string[];
}

interface Payload {
  readonly c: number;
  readonly s: number;
  readonly n: number;
  readonly e: [number, number][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function runScenario(options: ScenarioOptions): ScenarioResult {
  return new Scenario(options).run();
}

export class Scenario implements App {
  readonly rng: Rng;
  readonly world: Network;
  readonly nodeCount: number;
  readonly steps: number;
  readonly channels: Channel[] = [];
  /** App-held ends by node id and port id. */
  readonly held = new Map<NodeId, Map<PortId, End>>();
  /** Introductions in flight per (from > to), in order. */
  readonly introductions = new Map<string, End[]>();
  readonly dead = new Set<NodeId>();
  readonly violations: string[] = [];
  readonly counts: Counts = {
    channels: 0, messages: 0, transfers: 0, retransfers: 0, toPeerNode: 0, bothEnds: 0, withQueue: 0, introductions: 0, closes: 0,
    deaths: 0, events: 0, short: 0, probes: 0, stale: 0, lostNode: 0, severed: 0, resumed: 0,
  };
  /** The final drain: no more pauses. */
  draining = false;
  /** Reentrancy: re-send ports right from the delegate callback. */
  inCallback = 0;

  constructor(readonly options: ScenarioOptions) {
    this.rng = new Rng(options.seed);
    this.nodeCount = options.nodes ?? this.rng.int(2, 16);
    this.steps = options.steps ?? 1000;
    const rng = this.rng;
    // Each pair has its own latency (some links are much slower than others), plus jitter and now
    // and then a long stall: events on different pairs overtake each other all the time.
    const base = new Map<string, number>();
    const delay = (from: NodeId, to: NodeId): number => {
      const key = `${from}>${to}`;
      let latency = base.get(key);
      if (latency === undefined) base.set(key, (latency = rng.chance(0.2) ? rng.int(20, 60) : rng.int(1, 8)));
      return latency + (rng.chance(0.05) ? rng.int(20, 150) : rng.int(0, 6));
    };
    this.world = options.links === true
      ? new LinkWorld({ rng, delay }, this)
      : new World({ rng, delay, checkCodec: options.seed % 16 === 0 }, this);
  }

  run(): ScenarioResult {
    const world = this.world;
    for (let i = 0; i < this.nodeCount; i++) this.held.set(world.addNode().id, new Map());
    world.ready();
    // Bootstrap: a few channels per node, one end introduced to another node.
    for (const wn of world.nodes) {
      for (let k = this.rng.int(1, 2); k > 0; k--) {
        const [a] = this.newChannel(wn);
        if (this.nodeCount > 1) this.introduce(a, this.rng.pick(world.nodes.filter((n) => n !== wn)));
      }
    }
    for (let step = 0; step < this.steps && this.violations.length === 0; step++) {
      if (this.rng.chance(0.35) || !world.deliverNext()) this.act();
    }
    this.guard(() => this.finish());
    return {
      seed: this.options.seed,
      nodes: this.nodeCount,
      steps: this.steps,
      violations: this.violations,
      counts: this.tally(),
    };
  }

  tally(): Counts {
    const counts = this.counts;
    counts.channels = this.channels.length;
    counts.deaths = this.dead.size;
    counts.events = this.world.delivered;
    if (this.world instanceof World) counts.short = this.world.shortDelivered;
    if (this.world instanceof LinkWorld) {
      counts.severed = this.world.severed;
      counts.resumed = this.world.resumed;
    }
    for (const wn of this.world.nodes) {
      const dropped = wn.node.stats().dropped;
      counts.stale += dropped.stale;
      counts.lostNode += dropped.lostNode;
    }
    return counts;
  }

  violation(text: string): void {
    if (this.violations.length < 20) this.violations.push(text);
  }

  guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.violation(`threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ends and channels.

  live(): WorldNode[] {
    return this.world.nodes.filter((n) => n.alive);
  }

  heldEnds(node?: WorldNode): End[] {
    const out: End[] = [];
    for (const wn of node === undefined ? this.live() : [node]) for (const end of this.held.get(wn.id)!.values()) out.push(end);
    return out;
  }

  hold(end: End, wn: WorldNode, port: PortId): void {
    end.state = 'held';
    // A new holder starts taking messages (what queued while it was paused travelled with it).
    end.paused = false;
    end.node = wn;
    end.port = port;
    end.via = null;
    end.dest = null;
    end.trail.push(`${wn.name}:${port.slice(0, 4)}`);
    end.channel.nodes.add(wn.id);
    this.held.get(wn.id)!.set(port, end);
  }

  release(end: End, state: EndState): void {
    if (end.node !== null && end.port !== null) this.held.get(end.node.id)!.delete(end.port);
    end.state = state;
    end.node = null;
    end.port = null;
  }

  newChannel(wn: WorldNode): [End, End] {
    const [a, b] = wn.node.createPortPair();
    const channel: Channel = { id: this.channels.length, ends: [] as unknown as [End, End], nodes: new Set() };
    const make = (side: 0 | 1): End => ({
      channel, side, state: 'held', node: null, port: null, sent: 0, received: 0, paused: false, peerClosedAt: null, via: null, dest: null, trail: [],
    });
    channel.ends.push(make(0), make(1));
    this.channels.push(channel);
    this.hold(channel.ends[0], wn, a);
    this.hold(channel.ends[1], wn, b);
    return channel.ends;
  }

  introduce(end: End, to: WorldNode): void {
    const from = end.node!;
    const key = `${from.id}>${to.id}`;
    const port = end.port!;
    this.release(end, 'transit');
    end.channel.nodes.add(to.id);
    let queue = this.introductions.get(key);
    if (queue === undefined) this.introductions.set(key, (queue = []));
    queue.push(end);
    this.counts.introductions++;
    from.node.introduce(to.id, port);
  }

  /**
   * Whether sending `x` in a message to `dest` would make it unreachable garbage: `dest` is `x`
   * itself (routing dooms that), or is inside a message for `x` (or for something inside `x`…).
   * Browsers collect such cycles; an application cannot even name those ports any more.
   */
  wouldCycle(x: End, dest: End): boolean {
    for (let r: End | null = dest; r !== null; r = r.state === 'transit' ? r.dest : null) if (r === x) return true;
    return false;
  }

  /** Post one numbered message from `end`, carrying those of `carried` that would not make a cycle. */
  post(end: End, wanted: End[]): void {
    const wn = end.node!;
    const dest = end.channel.ends[1 - end.side]!;
    const carried = wanted.filter((x) => !this.wouldCycle(x, dest));
    const payload: Payload = { c: end.channel.id, s: end.side, n: end.sent, e: carried.map((x) => [x.channel.id, x.side]) };
    const ports = carried.map((x) => x.port!);
    for (const x of carried) {
      if (x.node!.node.status(x.port!)!.available > 0) this.counts.withQueue++;
      const peer = x.channel.ends[1 - x.side]!;
      if (peer.state === 'held' && dest.state === 'held' && peer.node === dest.node) this.counts.toPeerNode++;
      this.release(x, 'transit');
      x.via = end.channel;
      x.dest = dest;
      for (const n of end.channel.nodes) x.channel.nodes.add(n);
    }
    end.sent++;
    this.counts.messages++;
    this.counts.transfers += carried.length;
    wn.node.sendMessage(end.port!, { payload: encoder.encode(JSON.stringify(payload)), ports });
  }

  close(end: End): void {
    const wn = end.node!;
    const port = end.port!;
    this.release(end, 'closed');
    this.counts.closes++;
    wn.node.closePort(port);
  }

  // ---------------------------------------------------------------------------------------------
  // The application: take messages as they come, record, check order.

  portStatusChanged(wn: WorldNode, port: PortId): void {
    const end = this.held.get(wn.id)?.get(port);
    if (end === undefined || end.paused) return;
    this.inCallback++;
    this.guard(() => this.takeAll(end));
    this.inCallback--;
  }

  portIntroduced(wn: WorldNode, from: NodeId, port: PortId): void {
    const end = this.introductions.get(`${from}>${wn.id}`)?.shift();
    if (end === undefined) {
      this.violation(`an introduction arrived at ${wn.name} that nobody sent`);
      return;
    }
    this.hold(end, wn, port);
    this.guard(() => this.takeAll(end));
  }

  takeAll(end: End): void {
    const wn = end.node!;
    for (let m = wn.node.takeMessage(end.port!); m !== undefined; m = end.state === 'held' ? wn.node.takeMessage(end.port!) : undefined) {
      this.onMessage(end, m);
    }
    if (end.state !== 'held') return;
    const status = wn.node.status(end.port!);
    if (status === undefined) {
      this.violation(`c${end.channel.id}.${end.side} at ${wn.name}: a held port vanished`);
      return;
    }
    if (status.peerClosed && end.peerClosedAt === null) {
      end.peerClosedAt = end.received;
      if (this.rng.chance(0.3)) this.close(end);
    }
  }

  onMessage(end: End, m: RoutedMessage): void {
    const wn = end.node!;
    const p = JSON.parse(decoder.decode(m.payload)) as Payload;
    const where = `c${end.channel.id}.${end.side} at ${wn.name}`;
    if (p.c !== end.channel.id || p.s !== 1 - end.side) this.violation(`${where} received a message of c${p.c}.${p.s}`);
    if (p.n !== end.received) this.violation(`${where} received message ${p.n}, expected ${end.received}`);
    end.received = p.n + 1;
    if (m.ports.length !== p.e.length) this.violation(`${where}: message ${p.n} carries ${m.ports.length} ports, sent with ${p.e.length}`);
    const arrived: End[] = [];
    p.e.forEach(([c, s], i) => {
      const x = this.channels[c]!.ends[s as 0 | 1];
      if (x.state !== 'transit') this.violation(`c${c}.${s} arrived at ${wn.name} while ${x.state}`);
      for (const n of end.channel.nodes) x.channel.nodes.add(n);
      this.hold(x, wn, m.ports[i]!);
      arrived.push(x);
    });
    for (const x of arrived) {
      // Re-transfer at once, from inside the delegate's callback, while the transfer that
      // brought it is still settling.
      if (this.inCallback > 0 && this.rng.chance(0.3)) {
        const carrier = this.pickCarrier(wn, [x]);
        if (carrier !== undefined) {
          this.counts.retransfers++;
          this.post(carrier, [x]);
          continue;
        }
      }
      if (x.state === 'held' && !x.paused) this.takeAll(x);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Random actions.

  act(): void {
    const roll = this.rng.float();
    this.guard(() => {
      if (roll < 0.08) this.actNewChannel();
      else if (roll < 0.42) this.actPost(false);
      else if (roll < 0.6) this.actPost(true);
      else if (roll < 0.68) this.actToPeerNode();
      else if (roll < 0.73) this.actBothEnds();
      else if (roll < 0.78) this.actIntroduce();
      else if (roll < 0.84) this.actClose();
      else if (roll < 0.95) this.actPause();
      else if (roll < 0.98) this.world.disturb?.();
      else this.actKill();
    });
  }

  /** A held end at `wn` to post on, other than those in `not`. */
  pickCarrier(wn: WorldNode, not: End[]): End | undefined {
    const options = this.heldEnds(wn).filter((e) => !not.includes(e));
    return options.length === 0 ? undefined : this.rng.pick(options);
  }

  actNewChannel(): void {
    if (this.heldEnds().length > 60) return;
    const wn = this.rng.pick(this.live());
    const [a] = this.newChannel(wn);
    const others = this.live().filter((n) => n !== wn);
    if (others.length > 0 && this.rng.chance(0.7)) this.introduce(a, this.rng.pick(others));
  }

  actPost(withPorts: boolean): void {
    const ends = this.heldEnds();
    if (ends.length === 0) return;
    const end = this.rng.pick(ends);
    const carried: End[] = [];
    if (withPorts) {
      const candidates = this.heldEnds(end.node!).filter((e) => e !== end);
      for (let k = this.rng.int(1, 3); k > 0 && candidates.length > 0; k--) {
        carried.push(...candidates.splice(this.rng.int(0, candidates.length - 1), 1));
      }
    }
    this.post(end, carried);
  }

  /** Send an end to the node where its own peer end is. */
  actToPeerNode(): void {
    const options: [End, End][] = [];
    for (const end of this.heldEnds()) {
      const peer = end.channel.ends[1 - end.side]!;
      if (peer.state !== 'held') continue;
      for (const carrier of this.heldEnds(end.node!)) {
        const target = carrier.channel.ends[1 - carrier.side]!;
        if (carrier !== end && carrier !== peer && target.state === 'held' && target.node === peer.node) options.push([carrier, end]);
      }
    }
    if (options.length === 0) return;
    const [carrier, end] = this.rng.pick(options);
    this.post(carrier, [end]);
  }

  /** Both ends of one channel leave their nodes in the same instant. */
  actBothEnds(): void {
    const channels = this.channels.filter((c) => c.ends.every((e) => e.state === 'held' && e.node!.alive));
    if (channels.length === 0) return;
    const [a, b] = this.rng.pick(channels).ends;
    const carrierA = this.pickCarrier(a.node!, [a, b]);
    const carrierB = this.pickCarrier(b.node!, [a, b, ...(carrierA ? [carrierA] : [])]);
    if (carrierA === undefined || carrierB === undefined) return;
    this.counts.bothEnds++;
    this.post(carrierA, [a]);
    // The first post may have run callbacks (same-node delivery) that moved or closed these.
    if (b.state === 'held' && carrierB.state === 'held' && carrierB.node === b.node) this.post(carrierB, [b]);
  }

  actIntroduce(): void {
    const ends = this.heldEnds();
    if (ends.length === 0) return;
    const end = this.rng.pick(ends);
    const others = this.live().filter((n) => n !== end.node);
    if (others.length > 0) this.introduce(end, this.rng.pick(others));
  }

  actClose(): void {
    const ends = this.heldEnds();
    if (ends.length > 0) this.close(this.rng.pick(ends));
  }

  actPause(): void {
    const ends = this.heldEnds();
    if (ends.length === 0) return;
    const end = this.rng.pick(ends);
    end.paused = !end.paused && !this.draining;
    if (!end.paused) this.takeAll(end);
  }

  actKill(): void {
    const live = this.live();
    if (this.dead.size >= Math.floor(this.nodeCount / 2) || live.length < 2) return;
    const victim = this.rng.pick(live);
    this.dead.add(victim.id);
    for (const end of this.heldEnds(victim)) this.release(end, 'dead');
    this.world.kill(victim);
  }

  // ---------------------------------------------------------------------------------------------
  // The end: drain, check, probe, close everything, check for leaks (checks.ts).

  finish(): void {
    const world = this.world;
    this.draining = true;
    for (const end of this.heldEnds()) end.paused = false;
    world.drain();
    for (const end of this.heldEnds()) if (end.state === 'held') this.takeAll(end);
    world.drain();
    checkSettled(this, 'after the drain');
    checkDelivery(this);
    if (this.violations.length > 0) return;
    probe(this);
    if (this.violations.length > 0) return;
    for (const end of this.heldEnds()) if (end.state === 'held') this.close(end);
    world.drain();
    checkLeaks(this);
    checkDrops(this);
    if (this.world instanceof LinkWorld) for (const problem of this.world.problems) this.violation(problem);
  }
}
