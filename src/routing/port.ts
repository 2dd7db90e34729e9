// The state of one port on one node (Mojo's port.h): its place in its ring (prev and peer), its
// sequence numbers, and the messages it holds. Plain records; node.ts and its helpers change them.
//
// A channel is a ring of ports. Each port sends forward events to its peer (through its `lane`)
// and accepts them only from its `prev`. Two ports are endpoints (`receiving`, or `buffering`
// while in transit); the others are proxies left behind by transfers, which remove themselves.

import { Deque } from '../util/deque.ts';
import type { NodeId, PortId } from './ids.ts';

/**
 * The states of a port, in the order a port may go through them (never backwards).
 *
 * - `receiving`: an endpoint, owned by the delegate (or by an untaken message that carries it).
 *   Entered when created: by createPortPair, or from a descriptor when it arrives inside a
 *   message or by introduce. Left for `buffering` when it is sent to another node (inside a
 *   message, or introduced); for `closed` when closePort closes it, or when the message carrying
 *   it is dropped.
 * - `buffering`: sent to another node; the new port there has not accepted yet. Everything it
 *   had queued and everything that arrives for it waits in its lane, in order. Left for
 *   `proxying` on `accepted` from the new port; for `closed` on `rejected` or the loss of the new
 *   port's node (the moved endpoint is gone: the old peer is sent a closure), or when a closure
 *   arrives (it is passed on when the lane opens).
 * - `proxying`: forwards what arrives from its prev to the new port, in order, and has asked its
 *   prev (observeProxy) to send to the new port directly. Left for `closed` after forwarding the
 *   last sequence number its prev reports (observeProxyAck) and handing the prev over to the new
 *   port (updatePrev); or when a closure passes through; or when the node of its prev or its new
 *   port is lost.
 * - `closed`: accepts no more traffic. It lingers only while a lane of it holds events for a port
 *   that has not accepted it yet; when that port accepts (the events are sent) or rejects them, or
 *   its node is lost, the record is erased.
 */
export type PortState = 'receiving' | 'buffering' | 'proxying' | 'closed';

/** A port on some node. */
export interface Address {
  readonly node: NodeId;
  readonly port: PortId;
}

/** A message as ports hold it: its ports are local port ids (they become descriptors only when sent to another node). */
export interface HeldMessage {
  readonly seq: number;
  /** Proxies it passed (UserMessageEvent.hops). */
  readonly hops: number;
  readonly payload: Uint8Array;
  readonly ports: readonly PortId[];
}

/** A forward event waiting in, or passing through, a lane (the lane adds `to`, the port adds `from`). */
export type Forward =
  | { readonly type: 'userMessage'; readonly message: HeldMessage }
  | { readonly type: 'updatePrev'; readonly prev: Address }
  | { readonly type: 'observeProxyAck'; readonly lastSeq: number }
  | { readonly type: 'observeClosure'; readonly lastSeq: number };

/**
 * - `held`: the target has not accepted this port as its prev yet; forward events wait in `outbox`.
 * - `open`: they are sent as they come.
 * - `dead`: the target will never accept them (rejected, or its node lost); they are dropped.
 */
export type LaneStatus = 'held' | 'open' | 'dead';

/** Where a port sends its forward events, and whether the target accepts them yet. */
export class Lane {
  status: LaneStatus;
  readonly outbox = new Deque<Forward>();
  constructor(readonly node: NodeId, readonly port: PortId, status: LaneStatus) {
    this.status = status;
  }

  is(node: NodeId, port: PortId): boolean {
    return this.port === port && this.node === node;
  }
}

export class Port {
  state: PortState = 'receiving';

  // Inbound: the one port whose forward events are accepted, and whether it was told so.
  prevNode: NodeId;
  prevPort: PortId;
  /** `accepted` was sent to the prev: it may send. Events from a prev that was not are refused. */
  prevAccepted = true;
  /** Sequence number of the next user message expected from the prev. */
  nextReceive = 0;
  /** A closure arrived (or the prev's node was lost): nothing more will. For an endpoint: peerClosed. */
  inboundEnded = false;
  /** Ports that asked to become the prev once the current one hands over (requestAccept). */
  candidates: Address[] | null = null;

  // Outbound.
  /** Where forward events go: the peer. */
  lane: Lane;
  /**
   * After a transfer: the lane to the old peer, which still has to carry what was held for it and
   * then `updatePrev` naming the new port (`handoff`) once that port exists.
   */
  departing: Lane | null = null;
  handoff: Address | null = null;
  /** The peer before the transfer, kept to tell its late events (stale) from a stranger's (wrong source). */
  formerPeer: Address | null = null;
  /** Sequence number stamped on the next user message this endpoint sends. */
  nextSend = 0;

  // Endpoint.
  /** Messages released in order and not yet taken. */
  readonly queue = new Deque<HeldMessage>();
  /** Inside a message (queued here or in transit through this node): not the delegate's to use. */
  inMessage = false;
  /** Listed in Core.changed, waiting for delegate.portStatusChanged. */
  changePending = false;
  /** The node that introduced this port, while it counts against that node's limit. */
  introducedBy: NodeId | null = null;

  // Proxy.
  /** The prev (as `node:port`) that observeProxy was last sent to. */
  observing: string | null = null;

  constructor(readonly id: PortId, readonly channel: PortId, prevNode: NodeId, prevPort: PortId, lane: Lane) {
    this.prevNode = prevNode;
    this.prevPort = prevPort;
    this.lane = lane;
  }

  isPrev(node: NodeId, port: PortId): boolean {
    return this.prevPort === port && this.prevNode === node;
  }
}

export function addressKey(node: NodeId, port: PortId): string {
  return `${node}:${port}`;
}
