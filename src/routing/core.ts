// A node's routing state and the operations the protocol is made of: lanes (send, hold, open,
// kill), transfer, creation from a descriptor, closure, proxy removal, node loss. accept.ts
// calls these for incoming events, node.ts for the delegate's calls. Nothing here calls the
// delegate: outgoing events and notifications are queued, and node.ts delivers them once the
// state is consistent.

import { Deque } from '../util/deque.ts';
import type { IntroduceEvent, PortDescriptor, RoutingEvent, UserMessageEvent } from './events.ts';
import { randomId, type NodeId, type PortId, type RandomSource } from './ids.ts';
import type { RoutingLimits } from './limits.ts';
import { addressKey, Lane, Port, type Address, type Forward, type HeldMessage } from './port.ts';

/** Why an event was dropped (NodeStats.dropped). docs/routing.md lists which ones honest nodes cause. */
export type DropReason =
  /** Not a well-formed event, or a port id that is already in use. */
  | 'malformed'
  /** From a node already reported lost. */
  | 'lostNode'
  /** For a port this node does not have (any more). */
  | 'unknownPort'
  /** From a node or port other than the one the check names (docs/routing.md, "Checks"). */
  | 'wrongSource'
  /** A user message whose sequence number is not the next one expected. */
  | 'badSequence'
  /** Right source, but overtaken by events (the port moved on, closed, or was already told). */
  | 'stale'
  /** Right source, but impossible in the port's state: a buggy or hostile peer. */
  | 'unexpected'
  /** Over one of the RoutingLimits. */
  | 'limit';

export const DROP_REASONS: readonly DropReason[] =
  ['malformed', 'lostNode', 'unknownPort', 'wrongSource', 'badSequence', 'stale', 'unexpected', 'limit'];

/** The events that are neither user messages nor bootstrap. */
export type ControlEvent = Exclude<RoutingEvent, UserMessageEvent | IntroduceEvent>;

/** A user message between two ports of this node: no descriptors, no bytes; its ports stay as they are. */
export interface LocalMessage {
  readonly type: 'localMessage';
  readonly to: PortId;
  readonly from: PortId;
  readonly message: HeldMessage;
}

export type LocalEvent = ControlEvent | LocalMessage;

export interface Outgoing {
  readonly node: NodeId;
  readonly event: RoutingEvent;
}

export interface Introduction {
  readonly from: NodeId;
  readonly port: PortId;
}

export const NO_PORTS: readonly PortId[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);
const NO_DESCRIPTORS: readonly PortDescriptor[] = Object.freeze([]);

export class Core {
  readonly ports = new Map<PortId, Port>();
  /** Lost nodes, oldest first (a Set keeps insertion order), at most limits.maxLostNodes. */
  readonly lostNodes = new Set<NodeId>();
  readonly introducedCounts = new Map<NodeId, number>();
  /** Events for this node's own ports, handled in order after the current operation. */
  readonly local = new Deque<LocalEvent>();
  /** Events for other nodes, handed to the delegate in order. */
  readonly outgoing = new Deque<Outgoing>();
  /**
   * Ports whose status may have changed, for delegate.portStatusChanged, oldest first, each once
   * (Port.changePending). A queue and a flag, not a Set: taking the first of a Set that is added
   * to and deleted from for every message walks its deleted entries (measured: a tenth of
   * receiving a small message).
   */
  readonly changed = new Deque<PortId>();

  /** `port`'s status may have changed: the delegate is told once the operation is done. */
  markChanged(port: Port): void {
    if (port.changePending) return;
    port.changePending = true;
    this.changed.push(port.id);
  }
  readonly introductions = new Deque<Introduction>();
  forwarded = 0;
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  /** Inside node.ts's flush loop: nested public calls do their work and leave the delivery to it. */
  flushing = false;
  /** Ports to close (a worklist, so that closing ports inside ports inside … never recurses deeply). */
  readonly #closing: PortId[] = [];
  #closingNow = false;

  constructor(
    readonly id: NodeId,
    readonly random: RandomSource,
    readonly limits: RoutingLimits,
  ) {}

  newPortId(): PortId {
    let id = randomId(this.random);
    while (this.ports.has(id)) id = randomId(this.random);
    return id;
  }

  isLost(node: NodeId): boolean {
    return this.lostNodes.has(node);
  }

  /** An event for port `to` (if it names one) is dropped: a port that closed recently makes it stale, not unknown. */
  drop(reason: DropReason, to?: PortId): void {
    if (reason === 'unknownPort' && to !== undefined && this.#closedIds.has(to)) reason = 'stale';
    this.dropped[reason]++;
    this.firstDrop ??= reason;
  }

  /** The first drop since Node last cleared it (Node passes it to its delegate with the sending node). */
  firstDrop: DropReason | null = null;
  /** Ids of erased ports, oldest first, at most maxClosedPorts. */
  readonly #closedIds = new Set<PortId>();

  // ---------------------------------------------------------------------------------------------
  // Sending.

  /** An event that does not wait for a lane: to this node's queue, or out (never to a lost node). */
  sendControl(node: NodeId, event: ControlEvent): void {
    if (node === this.id) this.local.push(event);
    else if (!this.lostNodes.has(node)) this.outgoing.push({ node, event });
  }

  reject(node: NodeId, to: PortId, from: PortId): void {
    this.sendControl(node, { type: 'rejected', to, from });
  }

  /** A forward event from `port` on `lane`: sent if the lane is open, held if not yet, dropped if never. */
  emit(port: Port, lane: Lane, forward: Forward): void {
    switch (lane.status) {
      case 'open':
        this.#send(port, lane, forward);
        return;
      case 'held':
        lane.outbox.push(forward);
        return;
      case 'dead':
        this.discard(forward);
        return;
      default: {
        const _: never = lane.status;
      }
    }
  }

  #send(port: Port, lane: Lane, forward: Forward): void {
    const to = lane.port;
    const from = port.id;
    if (forward.type === 'userMessage') {
      const message = forward.message;
      if (lane.node === this.id) {
        this.local.push({ type: 'localMessage', to, from, message });
        return;
      }
      // The ports leave with the message: each is transferred to the lane's node now, in order.
      const ports = message.ports.length === 0 ? NO_DESCRIPTORS : message.ports.map((id) => this.transfer(id, lane.node));
      const event = { type: 'userMessage', to, from, seq: message.seq, hops: message.hops, payload: message.payload, ports } as const;
      this.outgoing.push({ node: lane.node, event });
      return;
    }
    let event: ControlEvent;
    switch (forward.type) {
      case 'updatePrev':
        event = { type: 'updatePrev', to, from, prevNode: forward.prev.node, prevPort: forward.prev.port };
        break;
      case 'observeProxyAck':
        event = { type: 'observeProxyAck', to, from, lastSeq: forward.lastSeq };
        break;
      case 'observeClosure':
        event = { type: 'observeClosure', to, from, lastSeq: forward.lastSeq };
        break;
      default: {
        const _: never = forward;
        return;
      }
    }
    this.sendControl(lane.node, event);
  }

  /** A forward event that will never be sent: the ports inside a user message are closed. */
  discard(forward: Forward): void {
    if (forward.type === 'userMessage' && forward.message.ports.length > 0) this.closePorts(forward.message.ports);
  }

  /** A lane from port `owner` to a port that does not know it yet: held, and the target is asked to accept. */
  newLane(owner: PortId, node: NodeId, port: PortId): Lane {
    if (this.lostNodes.has(node)) return new Lane(node, port, 'dead');
    this.sendControl(node, { type: 'requestAccept', to: port, from: owner });
    return new Lane(node, port, 'held');
  }

  /** The target accepted `port`: send what waited, in order. For a transfer, the new port exists now. */
  openLane(port: Port, lane: Lane): void {
    lane.status = 'open';
    for (let forward = lane.outbox.shift(); forward !== undefined; forward = lane.outbox.shift()) this.#send(port, lane, forward);
    if (lane === port.lane) {
      if (port.state === 'buffering') port.state = 'proxying';
      // Tell the old peer that the new port is its prev from now on (only now: it exists).
      const handoff = port.handoff;
      if (handoff !== null) {
        port.handoff = null;
        if (port.departing !== null) this.emit(port, port.departing, { type: 'updatePrev', prev: handoff });
      }
      this.maybeObserveProxy(port);
    }
    this.#releaseDeparting(port);
    this.maybeErase(port);
  }

  /** The target will never accept `port` (rejected, or its node lost). */
  killLane(port: Port, lane: Lane): void {
    lane.status = 'dead';
    for (let forward = lane.outbox.shift(); forward !== undefined; forward = lane.outbox.shift()) this.discard(forward);
    if (lane === port.departing) {
      port.departing = null;
    } else if (lane === port.lane) {
      // A transfer whose new port never came to be, or is gone with its node: to its old peer,
      // the endpoint closed where it was.
      if (port.handoff !== null) {
        if (port.departing !== null) this.emit(port, port.departing, { type: 'observeClosure', lastSeq: port.nextSend - 1 });
        port.handoff = null;
      }
      // A proxy with nowhere to forward is done; an endpoint drops what it sends from now on and
      // learns of the end through its inbound side (docs/routing.md, "Node loss").
      if (port.state === 'buffering' || port.state === 'proxying') this.retire(port);
    }
    this.#releaseDeparting(port);
    this.maybeErase(port);
  }

  #releaseDeparting(port: Port): void {
    const departing = port.departing;
    if (departing !== null && departing.status !== 'held' && port.handoff === null) port.departing = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Ports coming and going.

  /** Two ports of this node, entangled: each is the other's prev and peer, nothing to accept. */
  createPair(): [Port, Port] {
    const a = this.newPortId();
    let b = this.newPortId();
    while (b === a) b = this.newPortId();
    const portA = new Port(a, a, this.id, b, new Lane(this.id, b, 'open'));
    const portB = new Port(b, a, this.id, a, new Lane(this.id, a, 'open'));
    this.ports.set(a, portA);
    this.ports.set(b, portB);
    return [portA, portB];
  }

  /**
   * A port arriving from node `from`: it accepts its referrer as its prev at once (the referrer
   * is holding everything for it), and asks its peer to accept it in turn.
   */
  createFromDescriptor(from: NodeId, d: PortDescriptor): Port {
    const lane = d.outboundClosed ? new Lane(d.peerNode, d.peerPort, 'dead') : this.newLane(d.port, d.peerNode, d.peerPort);
    const port = new Port(d.port, d.channel, from, d.referrer, lane);
    port.nextSend = d.nextSend;
    port.nextReceive = d.nextReceive;
    this.ports.set(d.port, port);
    if (d.inboundClosed) {
      port.inboundEnded = true;
      port.prevAccepted = false;
    } else {
      this.sendControl(from, { type: 'accepted', to: d.referrer, from: d.port });
    }
    return port;
  }

  /**
   * Port `id` leaves for node `to` (inside a message being sent there, or introduced): it becomes
   * `buffering` toward a new port there, and its old lane departs, to carry the handover.
   */
  transfer(id: PortId, to: NodeId): PortDescriptor {
    const port = this.ports.get(id);
    const newId = this.newPortId();
    if (port === undefined || port.state !== 'receiving') {
      // Cannot happen (ports inside messages stay receiving); a dead port keeps the indexes right.
      return { port: newId, referrer: id, channel: newId, peerNode: this.id, peerPort: id, nextSend: 0, nextReceive: 0, outboundClosed: true, inboundClosed: true };
    }
    const old = port.lane;
    const outboundClosed = port.inboundEnded || old.status === 'dead';
    const descriptor: PortDescriptor = {
      port: newId,
      referrer: id,
      channel: port.channel,
      peerNode: old.node,
      peerPort: old.port,
      nextSend: port.nextSend,
      nextReceive: port.nextReceive - port.queue.length,
      outboundClosed,
      inboundClosed: false,
    };
    const lane = new Lane(to, newId, 'held');
    // What was queued and not taken goes first, then what arrives later; the closure, if it came.
    for (let message = port.queue.shift(); message !== undefined; message = port.queue.shift()) lane.outbox.push({ type: 'userMessage', message });
    if (port.inboundEnded) lane.outbox.push({ type: 'observeClosure', lastSeq: port.nextReceive - 1 });
    port.lane = lane;
    port.departing = old.status === 'held' || (old.status === 'open' && !outboundClosed) ? old : null;
    port.formerPeer = { node: old.node, port: old.port };
    port.handoff = outboundClosed ? null : { node: to, port: newId };
    port.state = port.inboundEnded ? 'closed' : 'buffering';
    port.inMessage = false;
    this.#releaseIntroduced(port);
    return descriptor;
  }

  /**
   * A user message that passed the checks: queued at an endpoint (skipped if doomed), or passed
   * on by a proxy (doomed, without its payload and ports, once it has been passed on too often).
   */
  deliver(port: Port, message: HeldMessage): void {
    port.nextReceive = message.seq + 1;
    const limit = this.limits.maxForwards;
    if (port.state === 'receiving') {
      if (message.hops > limit) {
        this.closePorts(message.ports);
        return;
      }
      port.queue.push(message);
      this.markChanged(port);
      return;
    }
    if (message.hops >= limit) this.closePorts(message.ports);
    const forward: HeldMessage = message.hops >= limit
      ? { seq: message.seq, hops: limit + 1, payload: EMPTY, ports: NO_PORTS }
      : { seq: message.seq, hops: message.hops + 1, payload: message.payload, ports: message.ports };
    this.emit(port, port.lane, { type: 'userMessage', message: forward });
  }

  /**
   * Nothing more will come from the prev: a closure arrived after `lastSeq`, or the prev's node
   * was lost. An endpoint passes the closure on around the ring, so that the proxies on its own
   * outbound side remove themselves; a proxy passes it on and closes.
   */
  endInbound(port: Port, lastSeq: number): void {
    if (port.inboundEnded) return;
    port.inboundEnded = true;
    this.rejectCandidates(port);
    switch (port.state) {
      case 'receiving':
        this.emit(port, port.lane, { type: 'observeClosure', lastSeq: port.nextSend - 1 });
        this.markChanged(port);
        break;
      case 'buffering':
      case 'proxying':
        this.emit(port, port.lane, { type: 'observeClosure', lastSeq });
        this.retire(port);
        break;
      case 'closed':
        break;
      default: {
        const _: never = port.state;
      }
    }
    this.maybeErase(port);
  }

  /** Port `port` (an endpoint) sends to `node`/`target` from now on, once that port accepts it. */
  repoint(port: Port, node: NodeId, target: PortId): void {
    this.emit(port, port.lane, { type: 'observeProxyAck', lastSeq: port.nextSend - 1 });
    port.lane = this.newLane(port.id, node, target);
  }

  /** Prev changes (updatePrev): accept the new one at once if it already asked. */
  changePrev(port: Port, node: NodeId, prev: PortId): void {
    port.prevNode = node;
    port.prevPort = prev;
    port.prevAccepted = false;
    if (this.lostNodes.has(node)) {
      this.endInbound(port, port.nextReceive - 1);
      return;
    }
    const candidates = port.candidates;
    const i = candidates === null ? -1 : candidates.findIndex((c) => c.port === prev && c.node === node);
    if (candidates !== null && i >= 0) {
      candidates.splice(i, 1);
      if (candidates.length === 0) port.candidates = null;
      this.acceptPrev(port);
    }
  }

  acceptPrev(port: Port): void {
    port.prevAccepted = true;
    this.sendControl(port.prevNode, { type: 'accepted', to: port.prevPort, from: port.id });
    this.maybeObserveProxy(port);
  }

  /**
   * A proxy asks its prev to send straight to the proxy's peer. Sent again each time the prev
   * changes before an answer (a prev that is itself a proxy or has moved on cannot answer).
   */
  maybeObserveProxy(port: Port): void {
    if (port.state !== 'proxying' || port.inboundEnded || !port.prevAccepted) return;
    const key = addressKey(port.prevNode, port.prevPort);
    if (port.observing === key) return;
    port.observing = key;
    this.sendControl(port.prevNode, {
      type: 'observeProxy', to: port.prevPort, from: port.id, targetNode: port.lane.node, targetPort: port.lane.port,
    });
  }

  /**
   * The prev sends to the peer directly now, and everything it sent through this proxy has been
   * passed on: hand the prev over to the peer (after those messages, on the same lane), and close.
   */
  removeProxy(port: Port, prev: Address): void {
    this.emit(port, port.lane, { type: 'updatePrev', prev });
    this.retire(port);
    this.maybeErase(port);
  }

  /** A proxy or buffering port that will accept nothing more. */
  retire(port: Port): void {
    if (port.state === 'closed') return;
    port.state = 'closed';
    port.inboundEnded = true;
    this.rejectCandidates(port);
  }

  /** The ports that asked to become this port's prev never will. */
  rejectCandidates(port: Port): void {
    const candidates = port.candidates;
    if (candidates === null) return;
    port.candidates = null;
    for (const c of candidates) this.reject(c.node, c.port, port.id);
  }

  /** Close endpoints: their peers learn the last sequence number; what they queued is dropped, and its ports closed. */
  closePorts(ids: readonly PortId[]): void {
    for (const id of ids) this.#closing.push(id);
    if (this.#closingNow) return;
    this.#closingNow = true;
    try {
      for (let id = this.#closing.pop(); id !== undefined; id = this.#closing.pop()) {
        const port = this.ports.get(id);
        if (port !== undefined) this.#closeEndpoint(port);
      }
    } finally {
      this.#closingNow = false;
    }
  }

  #closeEndpoint(port: Port): void {
    if (port.state !== 'receiving') return;
    port.state = 'closed';
    port.inMessage = false;
    this.#releaseIntroduced(port);
    for (let message = port.queue.shift(); message !== undefined; message = port.queue.shift()) {
      for (const id of message.ports) this.#closing.push(id);
    }
    // After a closure came in, the endpoint already sent its own around the ring.
    if (!port.inboundEnded) {
      port.inboundEnded = true;
      this.emit(port, port.lane, { type: 'observeClosure', lastSeq: port.nextSend - 1 });
    }
    this.rejectCandidates(port);
    this.maybeErase(port);
  }

  /** A closed port is erased once no lane of it holds events for a port that has not answered. */
  maybeErase(port: Port): void {
    if (port.state !== 'closed' || port.departing !== null || port.lane.status === 'held') return;
    if (this.ports.get(port.id) !== port) return;
    this.ports.delete(port.id);
    this.#closedIds.add(port.id);
    if (this.#closedIds.size > this.limits.maxClosedPorts) this.#closedIds.delete(this.#closedIds.values().next().value!);
    this.#releaseIntroduced(port);
  }

  #releaseIntroduced(port: Port): void {
    const node = port.introducedBy;
    if (node === null) return;
    port.introducedBy = null;
    const count = (this.introducedCounts.get(node) ?? 1) - 1;
    if (count > 0) this.introducedCounts.set(node, count);
    else this.introducedCounts.delete(node);
  }

  // ---------------------------------------------------------------------------------------------
  // Node loss.

  /**
   * Node `node` is gone: every lane to it is dead, every port whose prev was there gets the
   * closure it would have sent (after what already arrived), and requests from it are forgotten.
   */
  nodeLost(node: NodeId): void {
    if (node === this.id || this.lostNodes.has(node)) return;
    this.lostNodes.add(node);
    if (this.lostNodes.size > this.limits.maxLostNodes) {
      for (const oldest of this.lostNodes) {
        this.lostNodes.delete(oldest);
        break;
      }
    }
    for (const port of [...this.ports.values()]) {
      if (port.candidates !== null) {
        const left = port.candidates.filter((c) => c.node !== node);
        port.candidates = left.length === 0 ? null : left;
      }
      const departing = port.departing;
      if (departing !== null && departing.node === node) this.killLane(port, departing);
      if (port.lane.node === node && port.lane.status !== 'dead') this.killLane(port, port.lane);
      if (port.prevNode === node && !port.inboundEnded) this.endInbound(port, port.nextReceive - 1);
    }
  }
}

