// The routing events: what one node sends another about their ports. Plain data; the codec
// (codec.ts) turns them into bytes and back. docs/routing.md says when each is sent and accepted.
//
// Every port has one `prev`: the only port whose forward events it accepts (user messages,
// updatePrev, observeProxyAck, observeClosure). Forward events travel along `peer` pointers and
// are checked against the receiver's prev. The other events answer or steer a lane and are checked
// against the receiver's own peer (accepted, rejected, observeProxy), or name a would-be prev
// (requestAccept). `introduce` is the one event that is not addressed to a port.

import type { RoutingLimits } from './limits.ts';
import { isId, type NodeId, type PortId } from './ids.ts';

/**
 * A port in transit: what the receiving node needs to create it. The sending node chose the new
 * id; the port there forwards to it (`referrer`, which becomes its prev) until the route collapses.
 */
export interface PortDescriptor {
  /** The new port's id on the receiving node. */
  readonly port: PortId;
  /** The port on the sending node (the event's `from` node) that will forward to it. */
  readonly referrer: PortId;
  /** The channel: an id the two endpoints share (the first port's id at createPortPair). */
  readonly channel: PortId;
  /** Where the new port sends: its peer, which must accept it as its prev first. */
  readonly peerNode: NodeId;
  readonly peerPort: PortId;
  /** Sequence number of the next message it sends, and of the next one it expects. */
  readonly nextSend: number;
  readonly nextReceive: number;
  /** It can send nothing: its peer is gone, or the closure was already passed on. */
  readonly outboundClosed: boolean;
  /** It will receive nothing either (a port that was closed before it could be sent; defensive). */
  readonly inboundClosed: boolean;
}

interface Addressed {
  /** The port the event is for, on the receiving node. */
  readonly to: PortId;
  /** The port that sent it, on the sending node (the link authenticates the node). */
  readonly from: PortId;
}

/** A user message from `from` (the receiver's prev), stamped with the sending port's sequence number. */
export interface UserMessageEvent extends Addressed {
  readonly type: 'userMessage';
  readonly seq: number;
  /**
   * How many proxies passed it on. Past RoutingLimits.maxForwards the message is doomed: it
   * travels on with no payload and no ports, to keep the sequence, and is skipped on arrival.
   */
  readonly hops: number;
  /** Opaque bytes made by the spec layer; refers to `ports` by index. */
  readonly payload: Uint8Array;
  readonly ports: readonly PortDescriptor[];
}

/** To a port whose lane to `from` is held: `from` now accepts its forward events (its new prev is that port). */
export interface AcceptedEvent extends Addressed {
  readonly type: 'accepted';
}

/** To a port whose lane to `from` is held: `from` never will (it is gone, closed, or its sender was lost). */
export interface RejectedEvent extends Addressed {
  readonly type: 'rejected';
}

/**
 * From a port that was told to send to `to` next: "accept me once your current prev hands over to
 * me". Answered exactly once, by `accepted` or `rejected`.
 */
export interface RequestAcceptEvent extends Addressed {
  readonly type: 'requestAccept';
}

/** From the receiver's prev, as its last event: from now on your prev is `prevNode`/`prevPort`. */
export interface UpdatePrevEvent extends Addressed {
  readonly type: 'updatePrev';
  readonly prevNode: NodeId;
  readonly prevPort: PortId;
}

/** From a proxy (the receiver's peer) to its prev: send to `target` instead of me. */
export interface ObserveProxyEvent extends Addressed {
  readonly type: 'observeProxy';
  readonly targetNode: NodeId;
  readonly targetPort: PortId;
}

/** The answer to observeProxy, from the proxy's prev: the last sequence number I sent through you (−1: none). */
export interface ObserveProxyAckEvent extends Addressed {
  readonly type: 'observeProxyAck';
  readonly lastSeq: number;
}

/** From the receiver's prev: the stream ends after `lastSeq` (−1: nothing was sent). */
export interface ObserveClosureEvent extends Addressed {
  readonly type: 'observeClosure';
  readonly lastSeq: number;
}

/** Bootstrap: a port handed to the receiving node outside any message (Node.introduce). */
export interface IntroduceEvent {
  readonly type: 'introduce';
  readonly port: PortDescriptor;
}

export type RoutingEvent =
  | UserMessageEvent
  | AcceptedEvent
  | RejectedEvent
  | RequestAcceptEvent
  | UpdatePrevEvent
  | ObserveProxyEvent
  | ObserveProxyAckEvent
  | ObserveClosureEvent
  | IntroduceEvent;

export type RoutingEventType = RoutingEvent['type'];

/**
 * Whether `value` is a well-formed event within `limits`. Events from decodeEvent always are;
 * Node.acceptEvent checks anyway, so that an object from anywhere else cannot corrupt its state.
 */
export function isValidEvent(value: unknown, limits: RoutingLimits): value is RoutingEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  if (event.type === 'introduce') return isValidDescriptor(event.port);
  if (!isId(event.to) || !isId(event.from)) return false;
  switch (event.type) {
    case 'userMessage': {
      const { payload, ports } = event;
      if (!isSeq(event.seq) || !isSeq(event.hops) || !(payload instanceof Uint8Array) || payload.length > limits.maxPayloadBytes) return false;
      if (!Array.isArray(ports) || ports.length > limits.maxPortsPerMessage) return false;
      for (const port of ports) if (!isValidDescriptor(port)) return false;
      return true;
    }
    case 'accepted':
    case 'rejected':
    case 'requestAccept':
      return true;
    case 'updatePrev':
      return isId(event.prevNode) && isId(event.prevPort);
    case 'observeProxy':
      return isId(event.targetNode) && isId(event.targetPort);
    case 'observeProxyAck':
    case 'observeClosure':
      return isLastSeq(event.lastSeq);
    default:
      return false;
  }
}

function isValidDescriptor(value: unknown): value is PortDescriptor {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  return isId(d.port) && isId(d.referrer) && isId(d.channel) && isId(d.peerNode) && isId(d.peerPort) && isSeq(d.nextSend) &&
    isSeq(d.nextReceive) && typeof d.outboundClosed === 'boolean' && typeof d.inboundClosed === 'boolean';
}

/** A sequence number: 0 … 2^53 − 1. */
export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A last-sequence-number field: −1 (none) … 2^53 − 2. */
export function isLastSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= -1 && value < Number.MAX_SAFE_INTEGER;
}
