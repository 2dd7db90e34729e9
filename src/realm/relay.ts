// Reaching nodes this node has no link to, through nodes that do. A port moved main → worker →
// the worker's own worker has its peer on a node the last one never linked to; the routing layer
// needs only that events between two nodes arrive in order, so this layer carries them through
// the nodes in between, in envelopes, without those nodes holding any port state.
//
// Where a node's route comes from: a node is learned from whoever first named it, and reached
// through that namer. A port descriptor or an `observeProxy` from X that names node N means X can
// reach N (it just dealt with it), so this node reaches N through X; an envelope from S handed over
// by neighbour Z means S is reached through Z. Routes are sticky while they are up (a route that
// changed mid-stream could reorder), so a node first reached through a relay stays reached that
// way even if a direct link appears later. The frames are in docs/protocol.md ("Relay frames").
//
// Loss: a node is lost here when its link is lost, or when any node its route passes through is
// lost, or when a node on that route says it can no longer reach it. A relaying node remembers,
// per node, the nodes that talked to it through here, and tells them when it loses it.
//
// Trust: a relay is trusted with what passes through it, as a proxy port is: it could drop or
// misaddress envelopes. It cannot forge a port's traffic without the port ids, which only the
// nodes that held the port (and the relays on its path) know; the routing layer's sender checks
// still apply to everything delivered from here.

import { EntangleError } from '../errors.ts';
import { ID_BYTES, idFromBytes, idToBytes, type NodeId } from '../routing/ids.ts';
import { resolveLimitOptions } from '../util/limits.ts';

/** Link message tags of this layer: distinct from every routing event tag (src/routing/codec.ts). */
export const RelayTag = Object.freeze({
  /** [tag][hops left][dst 16][src 16][inner bytes]: carry `inner` to dst on behalf of src. */
  envelope: 0x40,
  /** [tag][node 16], inside an envelope: the envelope's sender can no longer reach `node`. */
  unreachable: 0x41,
} as const);

const HEADER_BYTES = 2 + 2 * ID_BYTES;

export interface RelayLimits {
  /** Most nodes an envelope passes through, and most envelopes nested in one. Stops routing loops (inconsistent routes on two nodes) from circling an envelope forever. */
  readonly maxRelayHops: number;
  /** Most nodes reached through others (and most lost nodes remembered). Stops a neighbour that makes up node ids from growing the route table without bound: past it, new nodes are not learned (and cannot be answered). */
  readonly maxRoutes: number;
}

export type RelayLimitOptions = { readonly [K in keyof RelayLimits]?: number };

export const DEFAULT_RELAY_LIMITS: RelayLimits = Object.freeze({ maxRelayHops: 8, maxRoutes: 65_536 });

/** The defaults with `options` applied; a value that is not a finite non-negative number is a TypeError. */
export function resolveRelayLimits(options: RelayLimitOptions | undefined): RelayLimits {
  return resolveLimitOptions('Relay', DEFAULT_RELAY_LIMITS, options, true);
}

/** What the relay needs from its node: the direct links and the routing layer above. */
export interface RelayHost {
  /** Whether there is a link to `node` (attached, or waiting for a transport within its grace). */
  isLinked(node: NodeId): boolean;
  /** Queue bytes on the link to a neighbour; returns the link's sequence number. Throws an EntangleError if not linked. */
  sendLinked(node: NodeId, bytes: Uint8Array): number;
  /** A routing event from `from` (a neighbour, or a node whose envelope was addressed here). */
  deliver(from: NodeId, bytes: Uint8Array): void;
  /** `node` can no longer be reached: the routing layer learns it is lost. Called once per node. */
  lost(node: NodeId): void;
  /** A neighbour sent bytes this layer cannot read: the node cuts it off. */
  malformed(neighbour: NodeId, error: EntangleError): void;
}

export interface RelayStats {
  /** Nodes reached through another node. */
  readonly routes: number;
  /** Envelopes passed on for other nodes. */
  readonly relayed: number;
  /** Envelopes dropped: no route, out of hops, from this node itself. */
  readonly dropped: number;
  readonly noticesSent: number;
  readonly lost: number;
}

export class Relay {
  readonly #self: NodeId;
  readonly #host: RelayHost;
  readonly #maxHops: number;
  readonly #maxRoutes: number;
  /** Node → the node it is reached through (a neighbour, or a node reached in turn). */
  readonly #via = new Map<NodeId, NodeId>();
  /** Node → nodes whose traffic with it passed through here: told when it is lost. */
  readonly #users = new Map<NodeId, Set<NodeId>>();
  /** Nodes reached through another node that something was sent to that way: their route must stay (order). */
  readonly #used = new Set<NodeId>();
  /** Nodes lost for good (node ids are new at every start: a lost id never comes back), oldest first, at most maxRoutes. */
  readonly #gone = new Set<NodeId>();
  /** The neighbour the last `send` went to: its link's sequence number is what `send` returned. */
  lastHop: NodeId | null = null;
  #relayed = 0;
  #dropped = 0;
  #noticesSent = 0;

  constructor(self: NodeId, host: RelayHost, limits?: RelayLimitOptions) {
    this.#self = self;
    this.#host = host;
    const resolved = resolveRelayLimits(limits);
    this.#maxHops = Math.min(255, resolved.maxRelayHops);
    this.#maxRoutes = resolved.maxRoutes;
  }

  /**
   * Sends routing event bytes to `to`, directly or in envelopes; returns the first hop link's
   * sequence number (`lastHop` names that hop). Throws ENTANGLE_LINK_CLOSED if `to` cannot be reached.
   */
  send(to: NodeId, bytes: Uint8Array): number {
    const via = this.#via.get(to);
    if (via === undefined) {
      if (!this.#host.isLinked(to)) throw unreachable(to);
      this.lastHop = to;
      return this.#host.sendLinked(to, bytes);
    }
    this.#used.add(to);
    return this.#carry(via, encodeEnvelope(this.#maxHops, to, this.#self, bytes), 1);
  }

  /**
   * `node` is now linked directly (a mesh dialled it): forget the route learned through whoever
   * named it, unless something already went that way (then it stays: a route that changed
   * mid-stream could reorder). Routes are only ever learned, so where every node can be dialled
   * (entangle/nats) this keeps them from being used at all.
   */
  direct(node: NodeId): void {
    if (!this.#used.has(node)) this.#via.delete(node);
  }

  /** Hands an envelope to node `to` (its addressee, or a node on the way): directly, or inside one more envelope addressed to `to`. */
  #carry(to: NodeId, envelope: Uint8Array, depth: number): number {
    const via = this.#via.get(to);
    if (via === undefined) {
      if (!this.#host.isLinked(to)) throw unreachable(to);
      this.lastHop = to;
      return this.#host.sendLinked(to, envelope);
    }
    if (depth >= this.#maxHops) throw unreachable(to);
    return this.#carry(via, encodeEnvelope(this.#maxHops, to, this.#self, envelope), depth + 1);
  }

  /** `source` named `node` in an event (a port's peer, a proxy's target): reach `node` through `source` if there is no way yet. */
  learn(source: NodeId, node: NodeId): void {
    if (node === this.#self || node === source || this.#via.has(node) || this.#gone.has(node) || this.#host.isLinked(node)) return;
    if (this.#via.size >= this.#maxRoutes) return;
    // A route must not lead back through the node itself (a loop), nor be longer than an envelope may travel.
    let hop = source;
    for (let i = 0; ; i++) {
      if (hop === node || i >= this.#maxHops || this.#gone.has(hop)) return;
      const next = this.#via.get(hop);
      if (next === undefined) break;
      hop = next;
    }
    if (!this.#host.isLinked(hop)) return;
    this.#via.set(node, source);
  }

  /** Any message on the link from neighbour `from`. */
  received(from: NodeId, bytes: Uint8Array): void {
    this.#handle(from, bytes, 0);
  }

  #handle(from: NodeId, bytes: Uint8Array, depth: number): void {
    if (bytes[0] !== RelayTag.envelope) {
      this.#host.deliver(from, bytes);
      return;
    }
    if (bytes.length < HEADER_BYTES + 1 || depth >= this.#maxHops) {
      this.#host.malformed(from, new EntangleError('ENTANGLE_ROUTING_MALFORMED', `A relay envelope from ${from} is truncated or nested too deep.`));
      return;
    }
    const hops = bytes[1]!;
    const dst = idFromBytes(bytes, 2);
    const src = idFromBytes(bytes, 2 + ID_BYTES);
    const inner = bytes.subarray(HEADER_BYTES);
    if (src === this.#self || this.#gone.has(src)) {
      this.#dropped++;
      return;
    }
    this.learn(from, src);
    if (dst === this.#self) {
      if (inner[0] === RelayTag.unreachable) this.#notice(src, inner);
      else this.#handle(src, inner, depth + 1);
      return;
    }
    // For another node: pass it on, and remember both ends used this node, to tell them of a loss.
    this.#use(dst, src);
    this.#use(src, dst);
    if (hops === 0) {
      this.#dropped++;
      this.#tell(src, dst);
      return;
    }
    try {
      const onward = bytes.slice();
      onward[1] = hops - 1;
      this.#carry(dst, onward, 0);
      this.#relayed++;
    } catch (error) {
      if (!(error instanceof EntangleError)) throw error;
      this.#dropped++;
      this.#tell(src, dst);
    }
  }

  #notice(from: NodeId, inner: Uint8Array): void {
    if (inner.length !== 1 + ID_BYTES) {
      this.#dropped++;
      return;
    }
    const node = idFromBytes(inner, 1);
    // Only a node on the route to `node` can say it is unreachable.
    if (this.#routeThrough(node, from)) this.#lose(node);
  }

  /** The link to neighbour `node` is lost for good. */
  linkLost(node: NodeId): void {
    this.#lose(node);
  }

  /** `node` is lost here: so is every node reached through it; the routing layer and the nodes that talked to them through here are told. */
  #lose(node: NodeId): void {
    if (this.#gone.has(node)) return;
    const lost = [node];
    this.#gone.add(node);
    for (let i = 0; i < lost.length; i++) {
      for (const [other, via] of this.#via) {
        if (via === lost[i] && !this.#gone.has(other)) {
          this.#gone.add(other);
          lost.push(other);
        }
      }
    }
    for (const n of lost) {
      this.#via.delete(n);
      this.#used.delete(n);
    }
    // Bounded as the routes are: forgetting the oldest lost ids only lets a late event from one be relayed (and dropped) again.
    for (const n of this.#gone) {
      if (this.#gone.size <= this.#maxRoutes) break;
      this.#gone.delete(n);
    }
    for (const n of lost) {
      const users = this.#users.get(n);
      this.#users.delete(n);
      if (users !== undefined) for (const user of users) if (!this.#gone.has(user)) this.#tell(user, n);
      this.#host.lost(n);
    }
    for (const users of this.#users.values()) for (const n of lost) users.delete(n);
  }

  /** Tell `user` that `node` cannot be reached through here (best effort: it may be unreachable too). */
  #tell(user: NodeId, node: NodeId): void {
    const notice = new Uint8Array(1 + ID_BYTES);
    notice[0] = RelayTag.unreachable;
    idToBytes(node, notice, 1);
    try {
      this.#carry(user, encodeEnvelope(this.#maxHops, user, this.#self, notice), 0);
      this.#noticesSent++;
    } catch (error) {
      if (!(error instanceof EntangleError)) throw error;
    }
  }

  #use(node: NodeId, user: NodeId): void {
    let users = this.#users.get(node);
    if (users === undefined) this.#users.set(node, (users = new Set()));
    users.add(user);
  }

  /** Whether the route to `node` passes through `hop` (`node` itself does not count). */
  #routeThrough(node: NodeId, hop: NodeId): boolean {
    let current = node;
    for (let i = 0; i < this.#maxHops; i++) {
      const via = this.#via.get(current);
      if (via === undefined) return false;
      if (via === hop) return true;
      current = via;
    }
    return false;
  }

  /** Whether `node` is reached through another node. */
  isRelayed(node: NodeId): boolean {
    return this.#via.has(node);
  }

  stats(): RelayStats {
    return { routes: this.#via.size, relayed: this.#relayed, dropped: this.#dropped, noticesSent: this.#noticesSent, lost: this.#gone.size };
  }
}

function encodeEnvelope(hops: number, dst: NodeId, src: NodeId, inner: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + inner.length);
  bytes[0] = RelayTag.envelope;
  bytes[1] = hops;
  idToBytes(dst, bytes, 2);
  idToBytes(src, bytes, 2 + ID_BYTES);
  bytes.set(inner, HEADER_BYTES);
  return bytes;
}

function unreachable(node: NodeId): EntangleError {
  return new EntangleError('ENTANGLE_LINK_CLOSED', `No link or route to ${node}.`);
}
