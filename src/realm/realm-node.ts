// This realm as a node of the routing world: a routing Node, the Links to other nodes, and the
// binding of spec ports (MessagePortData) to routing ports. Same-node ports never come here; a
// port is bound to a routing port only once it (or its peer) leaves the node.

import { discardTransferDataHolders } from '../clone/index.ts';
import type { SerializedWithTransfer } from '../clone/records.ts';
import { EntangleError } from '../errors.ts';
import type { Clock } from '../link/clock.ts';
import type { LinkLimits } from '../link/limits.ts';
import { Links, type AttachOptions, type LinksDelegate } from '../link/links.ts';
import type { FrameTransport } from '../link/transport.ts';
import { decodeEvent, encodeEvent } from '../routing/codec.ts';
import type { RoutingEvent } from '../routing/events.ts';
import type { NodeId, PortId, RandomSource } from '../routing/ids.ts';
import type { RoutingLimits } from '../routing/limits.ts';
import type { DropReason } from '../routing/core.ts';
import { Node, type NodeDelegate, type RoutedMessage } from '../routing/node.ts';
import { queueTask } from '../spec/event-loop.ts';
import { MessageEvent } from '../spec/message-event.ts';
import { BufferedAmountLowTask, MessagePortData, UNDECODABLE, type PortMessage } from '../spec/message-port-data.ts';
import { createMessagePort, type MessagePort } from '../spec/message-port.ts';
import { markTrusted } from '../spec/trusted-event.ts';
import { encodeForNode } from '../wire/index.ts';
import { Handles } from './handles.ts';
import { decodeRouted, encodeRouted, type EncodedMessage } from './message-bytes.ts';
import { Relay, type RelayLimitOptions } from './relay.ts';
import { RoutedPort } from './routed-port.ts';
import { splice } from './splice.ts';

export interface RealmNodeOptions {
  /** This node's id (default: 128 random bits). */
  readonly id?: NodeId;
  /** The shared token links prove with HMAC (both ends must agree). */
  readonly token?: string | Uint8Array;
  readonly random?: RandomSource;
  readonly clock?: Clock;
  /** How links flush batched frames at the end of a turn (default: queueMicrotask). */
  readonly schedule?: (fn: () => void) => void;
  readonly linkLimits?: Partial<LinkLimits>;
  readonly routingLimits?: Partial<RoutingLimits>;
  readonly relayLimits?: RelayLimitOptions;
  /**
   * Told when this node starts (true) or stops (false) having ports that keep their host alive:
   * ref'd, listening, and entangled with a port on another node (Node's MessagePort convention).
   * The host keeps its event loop alive meanwhile (entangle/node does).
   */
  readonly keepAlive?: (alive: boolean) => void;
  /** A linked neighbour node is lost, with the link's reason. */
  readonly peerLost?: (peer: NodeId, error: EntangleError) => void;
  /** The transport to a linked neighbour is gone and its link waits (graceMs) for another: whoever can, dials again (Links' `detached`). */
  readonly detached?: (peer: NodeId, error: EntangleError) => void;
  /**
   * Where every node may be dialled directly (a NATS mesh): asked before the first event goes to
   * a node with no link. `false`: not this way (the relay carries it, as without this option).
   * A promise: a link is being made; events for that node wait here, in order, until it settles;
   * true means linked, false means not directly after all (the relay carries them, or the node is lost).
   */
  readonly reach?: (node: NodeId) => Promise<boolean> | false;
}

const NO_PORTS: readonly PortId[] = Object.freeze([]);

/** Drops that honest nodes never cause (docs/routing.md, "Checks"): a neighbour causing one is cut off. */
const FORBIDDEN: ReadonlySet<DropReason> = new Set(['wrongSource', 'badSequence', 'unexpected', 'malformed', 'limit', 'unknownPort']);

/** The nodes of this realm by id: one in a program; several in tests of the routing layer. */
const realmNodes = new Map<NodeId, RealmNode>();

/** A message sent by a local port and not yet acknowledged by the node it was forwarded to. */
interface Unacked {
  readonly seq: number;
  readonly port: RoutedPort;
  readonly bytes: number;
}

/**
 * A node: ports entangled with ports on other nodes. Fires `connect` (a MessageEvent whose
 * `ports[0]` is the local end, `origin` the peer's node id) when another node opens a port to it.
 */
export class RealmNode extends EventTarget {
  readonly node: Node;
  readonly links: Links;
  /** How events reach nodes this one has no link to. */
  readonly relay: Relay;
  /** Routing ports bound to spec ports, by routing port id. */
  readonly #bound = new Map<PortId, RoutedPort>();
  /** Per peer node, messages forwarded there from local ports and not yet acknowledged, oldest first. */
  readonly #unacked = new Map<NodeId, Unacked[]>();
  /** Bound ports that keep the host alive (ref'd, listening, peer not gone). */
  readonly #alive = new Set<RoutedPort>();
  readonly #keepAlive: ((alive: boolean) => void) | undefined;
  readonly #onPeerLost: ((peer: NodeId, error: EntangleError) => void) | undefined;
  readonly #reach: ((node: NodeId) => Promise<boolean> | false) | undefined;
  /** Nodes being dialled directly (options.reach), with the events waiting for the link, in order. */
  readonly #dialling = new Map<NodeId, RoutingEvent[]>();
  /** Ports' messages to and from neighbours in the short form (the steady state). */
  readonly #handles: Handles;
  #closed = false;

  constructor(options: RealmNodeOptions = {}) {
    super();
    const nodeDelegate: NodeDelegate = {
      forwardEvent: (to, event) => this.#forward(to, event),
      forwardMessage: (to, toPort, fromPort, seq, hops, payload) => this.#forwardMessage(to, toPort, fromPort, seq, hops, payload),
      portStatusChanged: (port) => this.#statusChanged(port),
      portIntroduced: (from, port) => this.#introduced(from, port),
      eventDropped: (from, reason) => {
        // Relayed events are not the relay's doing: only a neighbour's own are held against it.
        if (FORBIDDEN.has(reason) && this.links.has(from)) {
          this.links.disconnect(from, new EntangleError('ENTANGLE_ROUTING_FORBIDDEN', `${from} sent a routing event honest nodes never send (${reason}).`));
        }
      },
    };
    this.#keepAlive = options.keepAlive;
    this.#onPeerLost = options.peerLost;
    this.#reach = options.reach;
    this.node = new Node({
      delegate: nodeDelegate,
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.routingLimits === undefined ? {} : { limits: options.routingLimits }),
    });
    const linksDelegate: LinksDelegate = {
      // Where nodes are dialled directly, a route learned through whoever named the node gives
      // way to the link, if nothing was sent along it yet (the relay keeps a used route: order).
      peerUp: (peer) => {
        if (this.#reach !== undefined) this.relay.direct(peer);
      },
      ...(options.detached === undefined ? {} : { detached: options.detached }),
      message: (peer, bytes) => {
        if (Handles.owns(bytes)) this.#shortReceived(peer, bytes);
        else this.relay.received(peer, bytes);
      },
      acked: (peer, upTo) => this.#acked(peer, upTo),
      peerLost: (peer, error) => {
        this.#peerLost(peer);
        this.#onPeerLost?.(peer, error);
      },
    };
    this.links = new Links({
      localNode: this.node.id,
      delegate: linksDelegate,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.linkLimits === undefined ? {} : { limits: options.linkLimits }),
    });
    this.relay = new Relay(this.node.id, {
      isLinked: (node) => this.links.has(node),
      sendLinked: (node, bytes) => this.links.send(node, bytes),
      deliver: (from, bytes) => this.#received(from, bytes),
      lost: (node) => this.node.nodeLost(node),
      // A neighbour that breaks the protocol: cut it off; its ports get `close`.
      malformed: (node) => this.links.disconnect(node),
    }, options.relayLimits);
    this.#handles = new Handles({
      sendLinked: (node, bytes) => this.links.send(node, bytes),
      sendPieces: (node, pieces) => this.links.sendPieces(node, pieces),
      accept: (from, to, fromPort, seq, hops, payload) => this.node.acceptMessage(from, to, fromPort, seq, hops, payload),
    }, this.node.limits);
    realmNodes.set(this.node.id, this);
  }

  get id(): NodeId {
    return this.node.id;
  }

  /** Run a link to another node over `transport`; resolves with that node's id. */
  attach(transport: FrameTransport, options: AttachOptions): Promise<NodeId> {
    return this.links.attach(transport, options);
  }

  /** A new port entangled with one on node `peer`, which receives it in a `connect` event. */
  openPort(peer: NodeId): MessagePort {
    const [local, remote] = this.node.createPortPair();
    const port = createMessagePort(this.#bindData(local));
    this.node.introduce(peer, remote);
    return port;
  }

  /** Say bye on every link; every port whose peer was elsewhere gets `close`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    realmNodes.delete(this.node.id);
    this.#dialling.clear();
    const peers = this.links.peers();
    this.links.close();
    for (const peer of peers) this.#peerLost(peer);
  }

  /** Bound ports (for leak checks in tests). */
  get boundPorts(): number {
    return this.#bound.size;
  }

  /** Handles of the short form held by this node's ports (for leak checks in tests). */
  get handlesInUse(): number {
    return this.#handles.sending;
  }

  // -------------------------------------------------------------------------------------------
  // The PortRoute operations of RoutedPort.

  postRouted(port: RoutedPort, message: SerializedWithTransfer): void {
    let encoded: EncodedMessage;
    try {
      encoded = encodeRouted(this, message);
    } catch (error) {
      // Only what cannot leave this process fails here (a SharedArrayBuffer): the message is lost.
      discardTransferDataHolders(message.transferDataHolders);
      throw error;
    }
    if (encoded.pending === null) this.#send(port, encoded.message);
    else this.#sendWhenRead(port, encoded.pending, encoded.message.ports);
  }

  /**
   * A post with nothing transferred, encoded straight from the value in one walk (no clone records
   * in between: the common post is about a third cheaper). Throws what structured serialization
   * throws (DataCloneError), before anything is sent.
   */
  postValue(port: RoutedPort, value: unknown): void {
    const payload = encodeForNode(value);
    if (payload instanceof Uint8Array) this.#send(port, { payload, ports: NO_PORTS });
    else this.#sendWhenRead(port, payload, NO_PORTS);
  }

  /** Blob or File bytes are being read: later posts wait behind this one (per-port order). */
  #sendWhenRead(port: RoutedPort, pending: Promise<Uint8Array>, ports: readonly PortId[]): void {
    port.outbox = [];
    pending.then(
      (payload) => this.#sendAfterRead(port, { payload, ports }),
      // A Blob that cannot be read: the receiver gets messageerror, the ports are closed.
      () => {
        for (const id of ports) this.node.closePort(id);
        this.#sendAfterRead(port, { payload: new Uint8Array(0), ports: NO_PORTS });
      },
    );
  }

  #sendAfterRead(port: RoutedPort, message: RoutedMessage): void {
    const outbox = port.outbox ?? [];
    port.outbox = null;
    if (this.#bound.get(port.id) !== port) {
      // Closed meanwhile: the message and everything behind it are dropped.
      for (const id of message.ports) this.node.closePort(id);
      for (const queued of outbox) discardTransferDataHolders(queued.transferDataHolders);
      return;
    }
    this.#send(port, message);
    // Posts that waited go out in order; another Blob among them makes the rest wait again.
    for (const queued of outbox) port.post(queued);
  }

  #send(port: RoutedPort, message: RoutedMessage): void {
    // bufferedAmount counts from the post (the message may wait for the peer to accept this
    // port) until the node it is forwarded to acknowledges it.
    if (this.node.peerNode(port.id) !== this.node.id) port.buffer(message.payload.length);
    this.node.sendMessage(port.id, message);
  }

  takeRouted(port: RoutedPort): PortMessage | undefined {
    const message = this.node.takeMessage(port.id);
    if (message === undefined) return undefined;
    if (port.peerClosed && port.data.pending === 0) this.releaseRouted(port);
    return decodeRouted(this, message) ?? UNDECODABLE;
  }

  /**
   * The peer is gone and every message it sent was taken: nothing can reach this routing port
   * again, so it is closed; the data stays, disentangled, as a same-node port whose peer closed.
   */
  releaseRouted(port: RoutedPort): void {
    if (this.#bound.get(port.id) !== port) return;
    this.#unbind(port);
    port.data.route = null;
    port.data.updateRetention();
    this.node.closePort(port.id);
  }

  closeRouted(port: RoutedPort): void {
    if (this.#bound.get(port.id) !== port) return;
    this.#unbind(port);
    if (port.outbox !== null) {
      for (const queued of port.outbox) discardTransferDataHolders(queued.transferDataHolders);
      port.outbox.length = 0;
    }
    this.node.closePort(port.id);
  }

  /** The data at the far end of `port`'s route, if that end is in this realm (item 16's doomed check). */
  localPeerOf(port: RoutedPort): MessagePortData | null {
    const status = this.node.status(port.id);
    if (status === undefined || status.peerNode === null || status.peerPort === null) return null;
    const node = realmNodes.get(status.peerNode);
    return node === undefined ? null : (node.#bound.get(status.peerPort)?.data ?? null);
  }

  /** `port` keeps the host alive now, or no longer (RoutedPort.refChanged). */
  keepsAlive(port: RoutedPort, alive: boolean): void {
    if (alive && this.#bound.get(port.id) !== port) return;
    const before = this.#alive.size;
    if (alive) this.#alive.add(port);
    else this.#alive.delete(port);
    if ((before === 0) !== (this.#alive.size === 0)) this.#keepAlive?.(this.#alive.size > 0);
  }

  #unbind(port: RoutedPort): void {
    this.#bound.delete(port.id);
    this.#handles.release(port.id);
    this.keepsAlive(port, false);
  }

  // -------------------------------------------------------------------------------------------
  // Binding spec ports to routing ports (message-bytes.ts converts the ports inside messages).

  /** A new data bound to routing port `id` (one that arrived, or a fresh local end). */
  bindIncoming(id: PortId): MessagePortData {
    return this.#bindData(id);
  }

  #bindData(id: PortId): MessagePortData {
    const data = new MessagePortData();
    data.shipped = true;
    this.#bindTo(data, id);
    return data;
  }

  #bindTo(data: MessagePortData, id: PortId): void {
    const route = new RoutedPort(this, id, data);
    const status = this.node.status(id);
    data.bindRoute(route, 0);
    this.#bound.set(id, route);
    if (status === undefined) route.sync(0, true);
    else route.sync(status.available, status.peerClosed);
    route.refChanged();
  }

  /**
   * A spec port leaves this node inside a message: the routing port that carries it. A port
   * already routed gives up its routing port; a same-node pair becomes a routing pair first, with
   * the messages queued at either end moved into routing (in order, ports inside them recursively).
   * Either way the data is finished here: it moved.
   */
  routeOut(data: MessagePortData): PortId {
    const route = data.route;
    if (route !== null) {
      if (!(route instanceof RoutedPort)) throw new TypeError('A routed port of an unknown kind.');
      if (route.realm !== this) {
        // Bound to another node of this realm (tests): relay through a new pair of this node.
        const [near, far] = this.node.createPortPair();
        splice(data, this.#bindData(near));
        return far;
      }
      this.#unbind(route);
      retire(data);
      return route.id;
    }
    const [near, far] = this.node.createPortPair();
    const peer = data.peer;
    // Messages the peer sent that wait at `data`: they travel with it (far's queue).
    for (const message of data.queue.drain()) this.node.sendMessage(near, encodeMovedMessage(this, message));
    if (peer === null) {
      this.node.closePort(near);
    } else {
      // Messages `data` sent that wait at the peer: they stay at the peer, now behind `near`.
      const waiting = peer.queue.drain();
      for (const message of waiting) this.node.sendMessage(far, encodeMovedMessage(this, message));
      data.peer = null;
      peer.peer = null;
      // Those messages already have their tasks (if enabled): bind without counting them again.
      const bound = new RoutedPort(this, near, peer);
      peer.bindRoute(bound, waiting.length);
      this.#bound.set(near, bound);
      bound.refChanged();
    }
    retire(data);
    return far;
  }

  // -------------------------------------------------------------------------------------------
  // The routing Node's delegate.

  #forward(to: NodeId, event: RoutingEvent): void {
    if (this.#reach !== undefined && this.#waitForDial(to, event)) return;
    this.#forwardNow(to, event);
  }

  /** With options.reach: whether `event` waits for a link to `to` being made (it is queued). */
  #waitForDial(to: NodeId, event: RoutingEvent): boolean {
    const waiting = this.#dialling.get(to);
    if (waiting !== undefined) {
      waiting.push(event);
      return true;
    }
    if (this.links.has(to)) return false;
    const linked = this.#reach!(to);
    if (linked === false) return false;
    this.#dialling.set(to, [event]);
    void linked.then((ok) => this.#dialled(to, ok), () => this.#dialled(to, false));
    return true;
  }

  /** A direct dial settled: the events that waited for it go out in order (over the new link, or as without one). */
  #dialled(to: NodeId, linked: boolean): void {
    const waiting = this.#dialling.get(to);
    this.#dialling.delete(to);
    if (waiting === undefined || this.#closed) return;
    if (linked) this.relay.direct(to);
    for (const event of waiting) this.#forwardNow(to, event);
  }

  #forwardNow(to: NodeId, event: RoutingEvent): void {
    const bytes = encodeEvent(event);
    let seq: number;
    try {
      seq = this.relay.send(to, bytes);
    } catch (error) {
      if (!(error instanceof EntangleError)) throw error;
      // No link to that node (never was, or lost): it is lost to this node too. Not from inside
      // the routing core's call, which is still changing its state.
      queueMicrotask(() => this.node.nodeLost(to));
      return;
    }
    // Acknowledged by the first hop: a relayed message counts until the neighbour has it.
    if (event.type === 'userMessage') this.#forwarded(this.relay.lastHop!, event.from, seq);
  }

  /**
   * The steady state (the routing Node's forwardMessage): straight over the link in the short form.
   * Not to a node reached through others (their events travel in envelopes), nor past events
   * waiting for a link being dialled.
   */
  #forwardMessage(to: NodeId, toPort: PortId, fromPort: PortId, seq: number, hops: number, payload: Uint8Array): boolean {
    if (this.#dialling.has(to) || this.relay.isRelayed(to) || !this.links.has(to)) return false;
    let linkSeq: number;
    try {
      linkSeq = this.#handles.send(to, toPort, fromPort, seq, hops, payload);
    } catch (error) {
      if (!(error instanceof EntangleError)) throw error;
      // As in #forwardNow: the link is gone, and so is that node.
      queueMicrotask(() => this.node.nodeLost(to));
      return true;
    }
    if (linkSeq < 0) return false;
    this.#forwarded(to, fromPort, linkSeq);
    return true;
  }

  /** A message of local port `from` went out on the link to `hop` as its message `seq`: counted in bufferedAmount until acknowledged. */
  #forwarded(hop: NodeId, from: PortId, seq: number): void {
    const port = this.#bound.get(from);
    const size = port?.forwarded();
    if (port === undefined || size === undefined) return;
    let list = this.#unacked.get(hop);
    if (list === undefined) this.#unacked.set(hop, (list = []));
    list.push({ seq, port, bytes: size });
  }

  #statusChanged(id: PortId): void {
    const port = this.#bound.get(id);
    if (port === undefined) return;
    // The common change: one more message at a port whose peer is still there.
    if (this.node.peerNode(id) != null) {
      const available = this.node.available(id);
      if (available > 0) {
        port.sync(available, false);
        return;
      }
    }
    const status = this.node.status(id);
    if (status === undefined || status.state === 'closed') {
      this.#unbind(port);
      port.sync(0, true);
      return;
    }
    port.sync(status.available, status.peerClosed);
  }

  #introduced(from: NodeId, id: PortId): void {
    const port = createMessagePort(this.#bindData(id));
    // SharedWorker's `connect` event is the precedent: a MessageEvent whose ports[0] is the new
    // port; its origin names the peer node.
    this.dispatchEvent(markTrusted(new MessageEvent('connect', { data: null, origin: `entangle:${from}`, ports: [port] })));
  }

  // -------------------------------------------------------------------------------------------
  // The Links' delegate.

  /** A routing event from `peer`: directly over its link, or relayed. */
  #received(peer: NodeId, bytes: Uint8Array): void {
    let event: RoutingEvent;
    try {
      event = decodeEvent(bytes, this.node.limits);
    } catch {
      // A neighbour that breaks the protocol is cut off (its ports get `close`); a relayed
      // event that does is dropped: the relays on the way are not to blame for it.
      if (this.links.has(peer)) this.links.disconnect(peer, new EntangleError('ENTANGLE_ROUTING_MALFORMED', `${peer} sent bytes that are not a routing event.`));
      return;
    }
    // Nodes the event names are reachable through its sender (it just dealt with them).
    switch (event.type) {
      case 'userMessage':
        for (const port of event.ports) this.relay.learn(peer, port.peerNode);
        break;
      case 'introduce':
        this.relay.learn(peer, event.port.peerNode);
        break;
      case 'observeProxy':
        this.relay.learn(peer, event.targetNode);
        break;
      case 'updatePrev':
        this.relay.learn(peer, event.prevNode);
        break;
    }
    this.node.acceptDecodedEvent(peer, event);
  }

  /** A message in the short form from neighbour `peer`. */
  #shortReceived(peer: NodeId, bytes: Uint8Array): void {
    try {
      this.#handles.received(peer, bytes);
    } catch (error) {
      if (!(error instanceof EntangleError)) throw error;
      this.links.disconnect(peer, new EntangleError('ENTANGLE_ROUTING_MALFORMED', `${peer} sent bytes that are not a routing message: ${error.message}`, { cause: error }));
    }
  }

  #acked(peer: NodeId, upTo: number): void {
    const list = this.#unacked.get(peer);
    if (list === undefined) return;
    let i = 0;
    for (; i < list.length && list[i]!.seq <= upTo; i++) this.#release(list[i]!);
    list.splice(0, i);
    if (list.length === 0) this.#unacked.delete(peer);
  }

  #release({ port, bytes }: Unacked): void {
    // RTCDataChannel: fires when the amount falls to the threshold or below, from above it.
    if (port.acknowledged(bytes)) queueTask(new BufferedAmountLowTask(port.data));
  }

  #peerLost(peer: NodeId): void {
    const list = this.#unacked.get(peer);
    this.#unacked.delete(peer);
    // Those bytes will never be acknowledged; nothing is buffered for a peer that is gone.
    if (list !== undefined) for (const { port, bytes } of list) port.acknowledged(bytes);
    this.#handles.lost(peer);
    // The relay tells the routing layer: this node, and every node reached through it, are lost.
    this.relay.linkLost(peer);
  }
}

/** A data that left this node: nothing of it remains here (its face was detached by the transfer). */
function retire(data: MessagePortData): void {
  data.peer = null;
  data.route = null;
  data.dropRouted();
  data.closed = true;
}

/** A queued message moving into routing with its port: encoded now (no Blob waits here). */
function encodeMovedMessage(realm: RealmNode, message: SerializedWithTransfer): RoutedMessage {
  const encoded = encodeRouted(realm, message);
  // DEVIATION: a queued message holding a Blob cannot wait for the Blob's bytes while its port
  // is being moved synchronously: it arrives as a messageerror.
  return encoded.pending === null ? encoded.message : { payload: new Uint8Array(0), ports: encoded.message.ports };
}
