// The simulator's world with real links: every pair of nodes talks through the link layer
// (src/link/, Links over src/transports/memory.ts), on a seeded manual clock. Transports are
// severed at random (frames in flight are lost) and dialled again within the grace period: the
// links must resume without losing, duplicating or reordering a routing event. A node that dies
// goes silent (its transports blackholed); the others notice by heartbeat, wait out the grace
// period, and report it lost to their routing node.

import { ManualClock } from '../../src/link/clock.ts';
import { Links, type LinksDelegate, type LinkLimitOptions } from '../../src/link/index.ts';
import {
  decodeEvent, encodeEvent, Node, type NodeDelegate, type NodeId, type RoutingEvent, type RoutingLimits,
} from '../../src/routing/index.ts';
import { MemoryTransport } from '../../src/transports/memory.ts';
import type { Rng } from './rng.ts';
import type { App, Network, WorldNode } from './world.ts';

/** Short times, so that a death is noticed and given up on within a few simulated seconds. */
const LINK_LIMITS: LinkLimitOptions = {
  heartbeatIntervalMs: 100,
  heartbeatTimeoutMs: 300,
  graceMs: 2_000,
  ackDelayMs: 5,
  handshakeTimeoutMs: 500,
};

interface LinkNode extends WorldNode {
  readonly links: Links;
  /** Current transport to each peer, by peer id (this node's end). */
  readonly transports: Map<NodeId, MemoryTransport>;
}

export interface LinkWorldOptions {
  readonly rng: Rng;
  /** Delay of one frame from → to, in ms. */
  readonly delay: (from: NodeId, to: NodeId) => number;
  readonly limits?: Partial<RoutingLimits>;
}

export class LinkWorld implements Network {
  readonly nodes: LinkNode[] = [];
  readonly byId = new Map<NodeId, LinkNode>();
  readonly clock = new ManualClock();
  delivered = 0;
  /** Transports severed, and links that resumed on a new one. */
  severed = 0;
  resumed = 0;
  readonly problems: string[] = [];
  readonly #rng: Rng;
  readonly #delay: (from: NodeId, to: NodeId) => number;
  readonly #limits: Partial<RoutingLimits> | undefined;

  constructor(options: LinkWorldOptions, readonly app: App) {
    this.#rng = options.rng;
    this.#delay = options.delay;
    this.#limits = options.limits;
  }

  addNode(name = `n${this.nodes.length}`): WorldNode {
    const world = this;
    let self: LinkNode;
    const delegate: NodeDelegate = {
      forwardEvent(to, event) {
        world.#forward(self, to, event);
      },
      portStatusChanged(port) {
        world.app.portStatusChanged(self, port);
      },
      portIntroduced(from, port) {
        world.app.portIntroduced(self, from, port);
      },
    };
    const random = (bytes: Uint8Array): void => this.#rng.bytes(bytes);
    const node = new Node({ delegate, random, ...(this.#limits !== undefined && { limits: this.#limits }) });
    const linksDelegate: LinksDelegate = {
      peerUp() {},
      message(peer, bytes) {
        if (!self.alive) return;
        world.delivered++;
        self.node.acceptEvent(peer, decodeEvent(bytes));
      },
      acked() {},
      peerLost(peer, error) {
        if (!self.alive) return;
        if (world.byId.get(peer)?.alive === true) world.problems.push(`${self.name} lost ${world.byId.get(peer)!.name}, which is alive: ${error.message}`);
        self.node.nodeLost(peer);
      },
      detached(peer) {
        world.#redial(self, peer);
      },
      resumed() {
        world.resumed++;
      },
    };
    const links = new Links({ localNode: node.id, delegate: linksDelegate, clock: this.clock, schedule: (fn) => this.clock.schedule(fn), random, limits: LINK_LIMITS });
    self = { name, node, id: node.id, alive: true, links, transports: new Map() };
    this.nodes.push(self);
    this.byId.set(node.id, self);
    return self;
  }

  /** Links between every pair, handshakes done. */
  ready(): void {
    for (let i = 0; i < this.nodes.length; i++) {
      for (let j = i + 1; j < this.nodes.length; j++) this.#connect(this.nodes[i]!, this.nodes[j]!, false);
    }
    for (let steps = 0; this.nodes.some((n) => n.links.stats().attached < this.nodes.length - 1); steps++) {
      if (steps > 100_000 || !this.clock.step()) throw new Error('links did not come up');
    }
    for (const node of this.nodes) this.#watch(node);
  }

  /**
   * The dialler of each pair dials again whenever its transport is gone and the link still
   * waits for one (a transport severed during a handshake gets no second `detached`).
   */
  #watch(self: LinkNode): void {
    this.clock.setTimeout(() => {
      if (!self.alive) return;
      const linked = new Set(self.links.peers());
      for (const other of this.nodes) {
        if (other === self || !linked.has(other.id) || this.nodes.indexOf(self) > this.nodes.indexOf(other)) continue;
        if (self.transports.get(other.id)?.closed === true) this.#connect(self, other, true);
      }
      this.#watch(self);
    }, 250);
  }

  /** `a` dials `b` over a fresh memory transport pair. */
  #connect(a: LinkNode, b: LinkNode, again: boolean): void {
    const [ta, tb] = MemoryTransport.pair({
      schedule: this.clock.schedule,
      delay: (_frame, from) => (from === ta ? this.#delay(a.id, b.id) : this.#delay(b.id, a.id)),
    });
    a.transports.set(b.id, ta);
    b.transports.set(a.id, tb);
    a.links.attach(ta, again ? { role: 'dial', expectedPeer: b.id } : { role: 'dial' }).catch(() => {});
    if (b.alive) b.links.attach(tb, { role: 'accept' }).catch(() => {});
  }

  /** The pair's dialler (the earlier node) dials again a little later, well within the grace period. */
  #redial(self: LinkNode, peer: NodeId): void {
    const other = this.byId.get(peer)!;
    if (this.nodes.indexOf(self) > this.nodes.indexOf(other)) return;
    this.clock.setTimeout(() => {
      if (self.alive) this.#connect(self, other, true);
    }, this.#rng.int(0, 400));
  }

  #forward(self: LinkNode, to: NodeId, event: RoutingEvent): void {
    if (!self.alive) return;
    try {
      self.links.send(to, encodeEvent(event));
    } catch {
      // No link to `to` any more: it is lost, and routing hears so from peerLost.
    }
  }

  /** Sever one live transport: both ends close, frames in flight are lost, the links wait for a redial. */
  disturb(): void {
    const live = this.nodes.filter((n) => n.alive);
    if (live.length < 2) return;
    const a = this.#rng.pick(live);
    const b = this.#rng.pick(live.filter((n) => n !== a));
    const transport = a.transports.get(b.id);
    if (transport === undefined || transport.closed) return;
    this.severed++;
    transport.sever();
  }

  deliverNext(): boolean {
    return this.clock.step();
  }

  /**
   * Run until every link is attached (or lost) and every routing event sent has been acknowledged
   * (heartbeats are always on the wire: they do not count).
   */
  drain(limit = 2_000_000): number {
    let steps = 0;
    for (; steps < limit; steps++) {
      if (this.#quiet()) return steps;
      this.clock.step();
    }
    throw new Error(`link world did not become quiet within ${limit} steps`);
  }

  #quiet(): boolean {
    for (const n of this.nodes) {
      if (!n.alive) continue;
      const s = n.links.stats();
      if (s.detached > 0 || s.handshakes > 0 || s.unackedMessages > 0) return false;
    }
    return true;
  }

  /** The victim stops, as a crashed process does: silence on every transport, no bye. */
  kill(victim: WorldNode): void {
    const node = victim as LinkNode;
    node.alive = false;
    for (const t of node.transports.values()) t.blackhole();
    node.links.close();
  }
}
