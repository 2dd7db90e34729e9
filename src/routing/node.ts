// The routing node (Mojo's Node): ports of one realm, kept entangled with ports on other nodes
// by exchanging routing events. Pure logic: it talks to the world only through its delegate,
// and calls it only after its own state is consistent (the delegate may call straight back in).

import { acceptLocal, acceptPortlessMessage, acceptRemote } from './accept.ts';
import { Core, DROP_REASONS, type DropReason } from './core.ts';
import { isValidEvent, type RoutingEvent } from './events.ts';
import { defaultRandom, isId, randomId, type NodeId, type PortId, type RandomSource } from './ids.ts';
import { resolveRoutingLimits, type RoutingLimits } from './limits.ts';
import type { Port, PortState } from './port.ts';

/** A user message as the routing layer sees it: opaque payload bytes (the wire format, made by the
 *  spec layer) plus the ports transferred with it, which the payload refers to by index. */
export interface RoutedMessage {
  readonly payload: Uint8Array;
  readonly ports: readonly PortId[];
}

export interface NodeDelegate {
  /** Deliver `event` to node `to` (over its link). Never called with this node's own id. May be
   *  called synchronously from inside any Node method, after the core's state is consistent. */
  forwardEvent(to: NodeId, event: RoutingEvent): void;
  /** Something observable may have changed for local port `port` (a message became available,
   *  the peer is now known closed). The delegate re-reads `status(port)`; it may call back into
   *  the Node synchronously (takeMessage, closePort…). May name a port still inside an untaken
   *  message. */
  portStatusChanged(port: PortId): void;
  /**
   * Optional: the steady state of a port, without an event. A message with no ports from local
   * port `fromPort` to port `toPort` on node `to`, sent at a moment when nothing else is waiting
   * to go out, so that handing it over now keeps every event in order. Return true when it was
   * sent (it must then arrive at `to` exactly as a userMessage event would, through
   * Node.acceptMessage there); false to have it sent as a userMessage event instead.
   */
  forwardMessage?(to: NodeId, toPort: PortId, fromPort: PortId, seq: number, hops: number, payload: Uint8Array): boolean;
  /** A port arrived from node `from` by `introduce()` (bootstrap: becomes a `connect` event above).
   *  The port is a local `receiving` port now owned by the delegate. */
  portIntroduced(from: NodeId, port: PortId): void;
  /** Optional: `acceptEvent` dropped the event from node `from` for `reason` (counted in stats too).
   *  Called last, after the node's state is consistent: the delegate may decide the sender is
   *  hostile (a port it never held, a sender check failed) and cut it off. */
  eventDropped?(from: NodeId, reason: DropReason): void;
}

export interface PortStatus {
  readonly state: PortState;
  /** Messages released in order and not yet taken. */
  readonly available: number;
  /** The peer is gone (closed, or its node lost) AND every message it sent before that which can
   *  still arrive has been released to this port (taken or not): time to queue `close`. */
  readonly peerClosed: boolean;
  /** Node of the current peer (null once the peer is closed). Same as this node's id = local peer. */
  readonly peerNode: NodeId | null;
  /** The current peer port on that node (null once the peer is closed). */
  readonly peerPort: PortId | null;
}

/** For leak checks and tests. Everything but the two counters is zero when no port is open. */
export interface NodeStats {
  /** Local port records by state (`closed` ones linger until their held events are answered). */
  readonly ports: Readonly<Record<PortState, number>>;
  /** Messages released at receiving ports and not taken. */
  readonly queued: number;
  /**
   * Events held at this node until the port they go to accepts the sender (a transfer or a
   * route change is settling). The routing layer never parks out-of-order messages: each port
   * accepts from one sender at a time, in order (docs/routing.md).
   */
  readonly parked: number;
  /** Requests to become some port's prev, waiting for that port's current prev to hand over. */
  readonly pendingAccepts: number;
  /** Open ports introduced by other nodes. */
  readonly introduced: number;
  /** Events handed to delegate.forwardEvent so far (a counter). */
  readonly forwarded: number;
  /** Events dropped so far, by reason (counters). */
  readonly dropped: Readonly<Record<DropReason, number>>;
}

export interface NodeOptions {
  readonly id?: NodeId;
  readonly random?: RandomSource;
  readonly delegate: NodeDelegate;
  readonly limits?: Partial<RoutingLimits>;
}

export class Node {
  readonly id: NodeId;
  readonly #core: Core;
  readonly #delegate: NodeDelegate;

  constructor(options: NodeOptions) {
    const random = options.random ?? defaultRandom();
    const limits = resolveRoutingLimits(options.limits);
    if (options.id !== undefined && !isId(options.id)) throw new TypeError('Node id must be 32 lowercase hex characters.');
    this.#core = new Core(options.id ?? randomId(random), random, limits);
    this.id = this.#core.id;
    this.#delegate = options.delegate;
  }

  /** Two new local ports entangled with each other, both `receiving`. */
  createPortPair(): [PortId, PortId] {
    const [a, b] = this.#core.createPair();
    return [a.id, b.id];
  }

  /** Post from `port` to its peer, stamping the next sequence number. `message.ports` are local
   *  `receiving` ports that move with the message (the caller gives them up; listing `port` itself
   *  or a non-local / non-receiving port is a caller bug: throw TypeError before changing anything).
   *  If the peer is already known closed, or `message.ports` lists the port's own peer (HTML's
   *  "doomed"), the message is dropped and its ports closed (recursively). */
  sendMessage(port: PortId, message: RoutedMessage): void {
    const core = this.#core;
    const sender = this.#ownedPort(port, 'sendMessage');
    const { payload, ports } = message;
    if (!(payload instanceof Uint8Array)) throw new TypeError('sendMessage: payload must be a Uint8Array.');
    checkTransferList(core, port, ports);
    // Sending a port's own peer through it dooms the message (HTML's "doomed"; Mojo refuses it):
    // it would chase its own destination for ever.
    if (sender.inboundEnded || sender.lane.status === 'dead' || ports.some((id) => core.ports.get(id)?.channel === sender.channel)) {
      core.closePorts(ports);
      this.#flush();
      return;
    }
    const seq = sender.nextSend++;
    const lane = sender.lane;
    // The steady state: an open lane to another node, nothing else to hand out first.
    if (ports.length === 0 && lane.status === 'open' && lane.node !== core.id && this.#idle() &&
      this.#delegate.forwardMessage?.(lane.node, lane.port, port, seq, 0, payload) === true) {
      core.forwarded++;
      return;
    }
    const held = { seq, hops: 0, payload, ports: ports.length === 0 ? ports : ports.slice() };
    for (const id of held.ports) (core.ports.get(id) as Port).inMessage = true;
    // Same node, nothing in between: straight into the peer's queue (no event, no bytes).
    if (lane.status === 'open' && lane.node === core.id && core.local.length === 0) {
      const target = core.ports.get(lane.port);
      if (target !== undefined && target.state === 'receiving' && target.prevAccepted && !target.inboundEnded &&
        target.isPrev(core.id, port) && seq === target.nextReceive) {
        core.deliver(target, held);
        this.#flush();
        return;
      }
    }
    core.emit(sender, lane, { type: 'userMessage', message: held });
    this.#flush();
  }

  /** Nothing queued for the delegate: a call to it now comes in order. */
  #idle(): boolean {
    const core = this.#core;
    return !core.flushing && core.local.length === 0 && core.outgoing.length === 0 &&
      core.introductions.length === 0 && core.changed.length === 0;
  }

  /** The next message in sequence order, or undefined. Its `ports` are now local receiving ports
   *  owned by the caller (new ids when they came from another node). */
  takeMessage(port: PortId): RoutedMessage | undefined {
    const core = this.#core;
    const record = core.ports.get(port);
    if (record === undefined || record.state !== 'receiving') return undefined;
    const message = record.queue.shift();
    if (message === undefined) return undefined;
    for (const id of message.ports) {
      const inside = core.ports.get(id);
      if (inside !== undefined) inside.inMessage = false;
    }
    // The held message itself (its seq and hops are not the caller's concern): no copy per message.
    return message;
  }

  /** undefined: no such local port (any more). */
  status(port: PortId): PortStatus | undefined {
    const record = this.#core.ports.get(port);
    if (record === undefined) return undefined;
    return {
      state: record.state,
      available: record.state === 'receiving' ? record.queue.length : 0,
      peerClosed: record.inboundEnded,
      peerNode: record.inboundEnded ? null : record.lane.node,
      peerPort: record.inboundEnded ? null : record.lane.port,
    };
  }

  /** Messages released at `port` and not taken (status().available without the allocation, for every message). */
  available(port: PortId): number {
    const record = this.#core.ports.get(port);
    return record === undefined || record.state !== 'receiving' ? 0 : record.queue.length;
  }

  /** The node of `port`'s current peer: null once the peer is closed, undefined if there is no such local port. `status` without the allocation, for every post. */
  peerNode(port: PortId): NodeId | null | undefined {
    const record = this.#core.ports.get(port);
    if (record === undefined) return undefined;
    return record.inboundEnded ? null : record.lane.node;
  }

  /** Close a local port: its peer learns the last sequence number sent; messages still queued here
   *  are dropped and ports inside them closed, recursively. Idempotent; unknown ids ignored. */
  closePort(port: PortId): void {
    const record = this.#core.ports.get(port);
    if (record === undefined || record.state !== 'receiving' || record.inMessage) return;
    this.#core.closePorts([port]);
    this.#flush();
  }

  /** Bootstrap: move a local receiving port to node `to`, as if it were inside a message; the
   *  other node's delegate gets portIntroduced(from, itsNewPortId). */
  introduce(to: NodeId, port: PortId): void {
    const core = this.#core;
    if (!isId(to) || to === core.id) throw new TypeError('introduce: `to` must be the id of another node.');
    this.#ownedPort(port, 'introduce');
    if (core.isLost(to)) {
      core.closePorts([port]);
    } else {
      core.outgoing.push({ node: to, event: { type: 'introduce', port: core.transfer(port, to) } });
    }
    this.#flush();
  }

  /** What this node accepts from other nodes (its options applied to the defaults). */
  get limits(): RoutingLimits {
    return this.#core.limits;
  }

  /** An event that arrived from node `from` (the link authenticated `from`). Never throws for bad
   *  or unexpected events: drops and counts them (stats().dropped by reason). */
  acceptEvent(from: NodeId, event: RoutingEvent): void {
    this.#accept(from, event, true);
  }

  /**
   * acceptEvent for an event that `decodeEvent(bytes, this.limits)` returned: the decoder checked
   * its form and limits as isValidEvent would, so it is not checked again (a measurable share of
   * receiving a small message).
   */
  acceptDecodedEvent(from: NodeId, event: RoutingEvent): void {
    this.#accept(from, event, false);
  }

  /**
   * A user message with no ports from port `fromPort` on node `from`, as delegate.forwardMessage
   * sent it there: accepted exactly as acceptDecodedEvent accepts the userMessage event with
   * those fields and no ports. `from` must be a node id (the link authenticated it).
   */
  acceptMessage(from: NodeId, to: PortId, fromPort: PortId, seq: number, hops: number, payload: Uint8Array): void {
    const core = this.#core;
    core.firstDrop = null;
    if (from === core.id) core.drop('wrongSource');
    else if (core.isLost(from)) core.drop('lostNode');
    else acceptPortlessMessage(core, from, to, fromPort, seq, hops, payload);
    const dropped = core.firstDrop;
    core.firstDrop = null;
    this.#flush();
    if (dropped !== null) this.#delegate.eventDropped?.(from, dropped);
  }

  #accept(from: NodeId, event: RoutingEvent, check: boolean): void {
    const core = this.#core;
    core.firstDrop = null;
    // Unchecked, `from` is a node id from a link or the relay: made from 16 bytes, always an id.
    if ((check && !isId(from)) || from === core.id) core.drop('wrongSource');
    else if (core.isLost(from)) core.drop('lostNode');
    else if (check && !isValidEvent(event, core.limits)) core.drop('malformed');
    else acceptRemote(core, from, event);
    const dropped = core.firstDrop;
    core.firstDrop = null;
    this.#flush();
    if (dropped !== null) this.#delegate.eventDropped?.(from, dropped);
  }

  /** Node `node` is gone for good (link lost, process exited, heartbeats missed). */
  nodeLost(node: NodeId): void {
    if (!isId(node)) return;
    this.#core.nodeLost(node);
    this.#flush();
  }

  stats(): NodeStats {
    const core = this.#core;
    const ports: Record<PortState, number> = { receiving: 0, buffering: 0, proxying: 0, closed: 0 };
    let queued = 0;
    let parked = 0;
    let pendingAccepts = 0;
    for (const port of core.ports.values()) {
      ports[port.state]++;
      queued += port.queue.length;
      parked += port.lane.outbox.length + (port.departing?.outbox.length ?? 0);
      pendingAccepts += port.candidates?.length ?? 0;
    }
    let introduced = 0;
    for (const count of core.introducedCounts.values()) introduced += count;
    const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, core.dropped[r]])) as Record<DropReason, number>;
    return { ports, queued, parked, pendingAccepts, introduced, forwarded: core.forwarded, dropped };
  }

  #ownedPort(port: PortId, method: string): Port {
    const record = this.#core.ports.get(port);
    if (record === undefined || record.state !== 'receiving' || record.inMessage) {
      throw new TypeError(`${method}: ${String(port)} is not a local receiving port owned by the caller.`);
    }
    return record;
  }

  /**
   * Hand out what the operation produced, in order: this node's own events first (they may
   * produce more), then events for other nodes, introductions and status changes. A delegate
   * call may come straight back in: that call does its work and leaves the delivery to this loop.
   */
  #flush(): void {
    const core = this.#core;
    if (core.flushing) return;
    core.flushing = true;
    try {
      for (;;) {
        // Lengths first: most calls leave one status change and nothing else to hand out.
        if (core.local.length > 0) {
          acceptLocal(core, core.local.shift()!);
          continue;
        }
        if (core.outgoing.length > 0) {
          const out = core.outgoing.shift()!;
          if (!core.isLost(out.node)) {
            core.forwarded++;
            this.#delegate.forwardEvent(out.node, out.event);
          }
          continue;
        }
        if (core.introductions.length > 0) {
          const introduction = core.introductions.shift()!;
          if (core.ports.has(introduction.port)) this.#delegate.portIntroduced(introduction.from, introduction.port);
          continue;
        }
        if (core.changed.length > 0) {
          const id = core.changed.shift()!;
          const port = core.ports.get(id);
          if (port !== undefined) {
            port.changePending = false;
            this.#delegate.portStatusChanged(id);
          }
          continue;
        }
        return;
      }
    } finally {
      core.flushing = false;
    }
  }
}

/** The transfer list must be distinct local receiving ports owned by the caller, other than the sender. */
function checkTransferList(core: Core, sender: PortId, ports: readonly PortId[]): void {
  if (!Array.isArray(ports)) throw new TypeError('sendMessage: ports must be an array of port ids.');
  if (ports.length === 0) return;
  if (ports.length > core.limits.maxPortsPerMessage) {
    throw new TypeError(`sendMessage: more than maxPortsPerMessage (${core.limits.maxPortsPerMessage}) ports.`);
  }
  const seen = new Set<PortId>();
  for (const id of ports) {
    const record = core.ports.get(id);
    if (id === sender) throw new TypeError('sendMessage: a port cannot be sent through itself.');
    if (record === undefined || record.state !== 'receiving' || record.inMessage) {
      throw new TypeError(`sendMessage: ${String(id)} is not a local receiving port owned by the caller.`);
    }
    if (seen.has(id)) throw new TypeError(`sendMessage: ${id} is listed twice.`);
    seen.add(id);
  }
}
