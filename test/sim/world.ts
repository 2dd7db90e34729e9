// An in-memory world of routing Nodes in one process: between each ordered pair of nodes a FIFO
// channel of encoded event bytes (encodeEvent → decodeEvent, so the codec is exercised) with a
// delay per event; events of different pairs overtake each other freely. Delivery is either by
// the scheduler (earliest ready first) or by hand (tests pick the pair). A node can die: what it
// had sent may still arrive up to a random point, then its peers learn nodeLost. Half the messages
// a node offers to forwardMessage (the steady state) go that way and arrive through acceptMessage.

import {
  decodeEvent, encodeEvent, Node, type NodeDelegate, type NodeId, type PortId, type RoutingEvent, type RoutingLimits,
  type UserMessageEvent,
} from '../../src/routing/index.ts';
import type { Rng } from './rng.ts';

/** What a node's application is told (a NodeDelegate without forwardEvent). */
export interface App {
  portStatusChanged(node: WorldNode, port: PortId): void;
  portIntroduced(node: WorldNode, from: NodeId, port: PortId): void;
}

/** What the scenario needs of a world: nodes, one step at a time, drain, death. */
export interface Network {
  readonly nodes: WorldNode[];
  readonly byId: Map<NodeId, WorldNode>;
  /** Events delivered to routing nodes so far. */
  readonly delivered: number;
  addNode(name?: string): WorldNode;
  /** After the nodes are added, before any traffic (the link world connects every pair). */
  ready(): void;
  /** One step; false when there is nothing left to do. */
  deliverNext(): boolean;
  /** Until nothing is in flight. */
  drain(limit?: number): number;
  kill(victim: WorldNode): void;
  /** A disturbance that must not be visible to routing (the link world severs a transport). */
  disturb?(): void;
}

export interface WorldNode {
  readonly name: string;
  readonly node: Node;
  readonly id: NodeId;
  alive: boolean;
}

type Envelope =
  // `short`: a message the node handed to forwardMessage, delivered through acceptMessage.
  | { readonly kind: 'event'; readonly from: NodeId; readonly to: NodeId; readonly bytes: Uint8Array; readonly short: boolean; readonly at: number; readonly order: number }
  | { readonly kind: 'lost'; readonly from: NodeId; readonly to: NodeId; readonly at: number; readonly order: number };

/** A FIFO that can also be read by index (tests look at what is waiting). */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }
  at(i: number): T | undefined {
    return this.#items[this.#head + i];
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/** A binary min-heap of pair heads, by (at, order). */
class Heap {
  readonly #items: { at: number; order: number; key: string }[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(item: { at: number; order: number; key: string }): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): { at: number; order: number; key: string } | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < items.length && less(items[l]!, items[m]!)) m = l;
        if (r < items.length && less(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (a: { at: number; order: number }, b: { at: number; order: number }): boolean => a.at < b.at || (a.at === b.at && a.order < b.order);

export interface WorldOptions {
  readonly rng: Rng;
  /** Delay of one event from → to, in ticks (the pair stays FIFO whatever the delays). Default: 1. */
  readonly delay?: (from: NodeId, to: NodeId) => number;
  /** Check that every event survives encode → decode → encode byte for byte. */
  readonly checkCodec?: boolean;
  /** Limits for every node. */
  readonly limits?: Partial<RoutingLimits>;
}

export class World implements Network {
  readonly nodes: WorldNode[] = [];
  readonly byId = new Map<NodeId, WorldNode>();
  now = 0;
  delivered = 0;
  /** … of which user messages in the short form. */
  shortDelivered = 0;
  readonly #pairs = new Map<string, Fifo<Envelope>>();
  readonly #heap = new Heap();
  #order = 0;
  readonly #rng: Rng;
  readonly #delay: (from: NodeId, to: NodeId) => number;
  readonly #checkCodec: boolean;
  readonly #limits: Partial<RoutingLimits> | undefined;
  /** Every event sent, for tests that look at the traffic: [from name, to name, event]. */
  readonly log: [string, string, RoutingEvent][] = [];
  logging = false;

  constructor(options: WorldOptions, readonly app: App) {
    this.#rng = options.rng;
    this.#delay = options.delay ?? (() => 1);
    this.#checkCodec = options.checkCodec ?? false;
    this.#limits = options.limits;
  }

  ready(): void {}

  addNode(name = `n${this.nodes.length}`): WorldNode {
    const world = this;
    let self: WorldNode;
    const delegate: NodeDelegate = {
      forwardEvent(to, event) {
        world.#send(self.id, to, event, false);
      },
      // Half the messages the node offers take the short path (the steady state of a link).
      forwardMessage(to, toPort, fromPort, seq, hops, payload) {
        if (!world.#rng.chance(0.5)) return false;
        world.#send(self.id, to, { type: 'userMessage', to: toPort, from: fromPort, seq, hops, payload, ports: [] }, true);
        return true;
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
    self = { name, node, id: node.id, alive: true };
    this.nodes.push(self);
    this.byId.set(node.id, self);
    return self;
  }

  #send(from: NodeId, to: NodeId, event: RoutingEvent, short: boolean): void {
    const target = this.byId.get(to);
    if (target === undefined) throw new Error(`forwardEvent to an unknown node ${to}`);
    if (to === from) throw new Error('forwardEvent to the node itself');
    if (this.logging) this.log.push([this.byId.get(from)!.name, target.name, event]);
    if (!target.alive || !this.byId.get(from)!.alive) return;
    const bytes = encodeEvent(event);
    if (this.#checkCodec) {
      const again = encodeEvent(decodeEvent(bytes));
      if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw new Error(`codec round trip changed a ${event.type} event`);
    }
    this.#enqueue({ kind: 'event', from, to, bytes, short, at: 0, order: 0 });
  }

  #enqueue(envelope: Envelope): void {
    const key = `${envelope.from}>${envelope.to}`;
    let queue = this.#pairs.get(key);
    if (queue === undefined) this.#pairs.set(key, (queue = new Fifo()));
    // FIFO per pair: never ready before the event ahead of it.
    const at = Math.max(this.now + this.#delay(envelope.from, envelope.to), this.#lastAt.get(key) ?? 0);
    const order = this.#order++;
    const stamped = { ...envelope, at, order } as Envelope;
    this.#lastAt.set(key, at);
    queue.push(stamped);
    if (queue.length === 1) this.#heap.push({ at, order, key });
  }
  readonly #lastAt = new Map<string, number>();

  /** Events in flight. */
  get pending(): number {
    let n = 0;
    for (const q of this.#pairs.values()) n += q.length;
    return n;
  }

  /** Deliver the earliest ready event of any pair; false when nothing is in flight. */
  deliverNext(): boolean {
    for (;;) {
      const head = this.#heap.pop();
      if (head === undefined) return false;
      const queue = this.#pairs.get(head.key);
      const envelope = queue?.peek();
      if (envelope === undefined || envelope.order !== head.order) continue; // stale: delivered by hand
      this.now = Math.max(this.now, envelope.at);
      this.#deliverHead(head.key);
      return true;
    }
  }

  /** Deliver everything, including what delivery causes, up to `limit` events. Returns the count. */
  drain(limit = 1_000_000): number {
    let n = 0;
    while (n < limit && this.deliverNext()) n++;
    if (n >= limit) throw new Error(`world did not drain within ${limit} events`);
    return n;
  }

  /** Tests: the events waiting on the pair a → b, oldest first. */
  peek(a: WorldNode, b: WorldNode): string[] {
    const queue = this.#pairs.get(`${a.id}>${b.id}`);
    const out: string[] = [];
    if (queue === undefined) return out;
    for (let i = 0; i < queue.length; i++) {
      const e = queue.at(i);
      if (e !== undefined) out.push(e.kind === 'lost' ? 'nodeLost' : decodeEvent(e.bytes).type);
    }
    return out;
  }

  /** Tests: deliver the oldest event on the pair a → b. Returns false if there is none. */
  deliverFrom(a: WorldNode, b: WorldNode): boolean {
    const key = `${a.id}>${b.id}`;
    if ((this.#pairs.get(key)?.length ?? 0) === 0) return false;
    this.#deliverHead(key);
    return true;
  }

  #deliverHead(key: string): void {
    const queue = this.#pairs.get(key)!;
    const envelope = queue.shift()!;
    const next = queue.peek();
    if (next !== undefined) this.#heap.push({ at: next.at, order: next.order, key });
    const target = this.byId.get(envelope.to)!;
    if (!target.alive) return;
    this.delivered++;
    if (envelope.kind === 'lost') target.node.nodeLost(envelope.from);
    else if (!envelope.short) target.node.acceptEvent(envelope.from, decodeEvent(envelope.bytes));
    else {
      this.shortDelivered++;
      const event = decodeEvent(envelope.bytes) as UserMessageEvent;
      target.node.acceptMessage(envelope.from, event.to, event.from, event.seq, event.hops, event.payload);
    }
  }

  /**
   * Node `victim` dies: what it sent is delivered up to a random point per pair and the rest
   * vanishes; then each other node learns nodeLost, after that point on the same pair.
   */
  kill(victim: WorldNode, keep: () => boolean = () => this.#rng.chance(0.5)): void {
    victim.alive = false;
    for (const other of this.nodes) {
      if (other === victim) continue;
      const outKey = `${victim.id}>${other.id}`;
      const queue = this.#pairs.get(outKey);
      const kept: Envelope[] = [];
      if (queue !== undefined) {
        let keeping = true;
        for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
          keeping = keeping && keep();
          if (keeping) kept.push(e);
        }
        this.#lastAt.delete(outKey);
        for (const e of kept) {
          queue.push(e);
          if (queue.length === 1) this.#heap.push({ at: e.at, order: e.order, key: outKey });
        }
        if (kept.length > 0) this.#lastAt.set(outKey, kept[kept.length - 1]!.at);
      }
      this.#pairs.get(`${other.id}>${victim.id}`)?.clear();
      if (other.alive) this.#enqueueLost(victim.id, other.id);
    }
  }

  #enqueueLost(from: NodeId, to: NodeId): void {
    const key = `${from}>${to}`;
    let queue = this.#pairs.get(key);
    if (queue === undefined) this.#pairs.set(key, (queue = new Fifo()));
    const at = Math.max(this.now + this.#delay(from, to), this.#lastAt.get(key) ?? 0);
    const order = this.#order++;
    this.#lastAt.set(key, at);
    queue.push({ kind: 'lost', from, to, at, order });
    if (queue.length === 1) this.#heap.push({ at, order, key });
  }
}
