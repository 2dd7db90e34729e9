// The steady state of a port whose peer is on a neighbour node. A userMessage event names both
// ports by their 16-byte ids; here a bind, sent once on the link, gives the pair of ids a small
// number (a handle), and each message after it names the pair by that number (the short form in
// src/routing/codec.ts, docs/protocol.md "Handles"). The link keeps its messages in order and
// resends them after a resume, so a bind always arrives before the messages that use it.
//
// Only the bytes change: the receiver hands each message to Node.acceptMessage, which makes the
// same checks as for the event. A handle is only a shorthand its neighbour chose: a wrong or
// stale one can do no more than an event naming the same two ports could.
//
// Tables live as long as the link's peer: node ids are new at every start and a lost node is lost
// for good, so a table never outlives the session that filled it.

import { EntangleError } from '../errors.ts';
import {
  decodeHandleRecord, encodeHandleBind, encodeHandleMessage, encodeHandleMessageHeader, HandleRecord, HandleTag, MAX_HANDLES,
} from '../routing/codec.ts';
import type { NodeId, PortId } from '../routing/ids.ts';
import type { RoutingLimits } from '../routing/limits.ts';

const NO_PAYLOAD = new Uint8Array(0);

/** Payloads this large go as a piece of their own after the header (one copy less); smaller ones are copied behind it (one array less). */
const PIECES_FROM = 2 * 1024;

/** What the handles need from their node. */
export interface HandlesHost {
  /** Queue bytes on the link to neighbour `node`; returns the link's sequence number. */
  sendLinked(node: NodeId, bytes: Uint8Array): number;
  /** sendLinked for one message made of pieces (Links.sendPieces). */
  sendPieces(node: NodeId, pieces: readonly Uint8Array[]): number;
  /** A message in the short form from neighbour `from`: as a userMessage event with no ports. */
  accept(from: NodeId, to: PortId, fromPort: PortId, seq: number, hops: number, payload: Uint8Array): void;
}

/** A sending port's handle: on the link to `node`, naming the pair (`to`, the port). */
interface Binding {
  readonly node: NodeId;
  readonly table: Outgoing;
  readonly handle: number;
  to: PortId;
}

/** The handles this node took on the link to one neighbour. */
class Outgoing {
  /** Handles given back (their port closed or moved on), reused before new ones. */
  readonly free: number[] = [];
  next = 0;

  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    return this.next < MAX_HANDLES ? this.next++ : -1;
  }
}

/** What a neighbour's binds said: the two ports behind each of its handles. */
class Incoming {
  readonly to: PortId[] = [];
  readonly from: PortId[] = [];
}

export class Handles {
  readonly #host: HandlesHost;
  readonly #limits: RoutingLimits;
  readonly #out = new Map<NodeId, Outgoing>();
  /** Each sending port's handle (one lookup per message). */
  readonly #bindings = new Map<PortId, Binding>();
  readonly #in = new Map<NodeId, Incoming>();
  /** Filled by each received message in turn (read out before anything is called). */
  readonly #record = new HandleRecord();

  constructor(host: HandlesHost, limits: RoutingLimits) {
    this.#host = host;
    this.#limits = limits;
  }

  /** Whether `bytes` (a message on a link) are in the short form. */
  static owns(bytes: Uint8Array): boolean {
    const tag = bytes[0];
    return tag === HandleTag.message || tag === HandleTag.bind;
  }

  /**
   * Sends the message from `fromPort` to `toPort` on neighbour `node` in the short form (binding
   * a handle first if the pair has none); returns the message's link sequence number, or -1 when
   * every handle to that neighbour is in use (the caller sends the event instead).
   */
  send(node: NodeId, toPort: PortId, fromPort: PortId, seq: number, hops: number, payload: Uint8Array): number {
    const host = this.#host;
    let binding = this.#bindings.get(fromPort);
    if (binding === undefined || binding.node !== node) {
      // New, or the peer moved to another neighbour: a handle on that link.
      this.release(fromPort);
      let table = this.#out.get(node);
      if (table === undefined) this.#out.set(node, (table = new Outgoing()));
      const handle = table.take();
      if (handle < 0) return -1;
      binding = { node, table, handle, to: toPort };
      this.#bindings.set(fromPort, binding);
      host.sendLinked(node, encodeHandleBind(handle, toPort, fromPort));
    } else if (binding.to !== toPort) {
      // The peer moved to another port of the same neighbour: the handle now names that one.
      binding.to = toPort;
      host.sendLinked(node, encodeHandleBind(binding.handle, toPort, fromPort));
    }
    // A large payload is not copied behind its header: the link writes both into the frame.
    if (payload.length >= PIECES_FROM) return host.sendPieces(node, [encodeHandleMessageHeader(binding.handle, seq, hops), payload]);
    return host.sendLinked(node, encodeHandleMessage(binding.handle, seq, hops, payload));
  }

  /** `fromPort` sends no more from here (closed, or moved to another node): its handle is free. */
  release(fromPort: PortId): void {
    const binding = this.#bindings.get(fromPort);
    if (binding === undefined) return;
    this.#bindings.delete(fromPort);
    binding.table.free.push(binding.handle);
  }

  /** A message in the short form from neighbour `from`; throws ENTANGLE_ROUTING_MALFORMED (or _WIRE_LIMIT) for bytes no honest node sends. */
  received(from: NodeId, bytes: Uint8Array): void {
    const record = decodeHandleRecord(bytes, this.#limits, this.#record);
    const { handle, payload } = record;
    record.payload = NO_PAYLOAD;
    let table = this.#in.get(from);
    if (record.tag === HandleTag.bind) {
      if (table === undefined) this.#in.set(from, (table = new Incoming()));
      if (handle > table.to.length) throw malformed(from, `bound handle ${handle} before ${table.to.length}`);
      table.to[handle] = record.to;
      table.from[handle] = record.from;
      return;
    }
    const to = table?.to[handle];
    if (table === undefined || to === undefined) throw malformed(from, `used handle ${handle}, never bound`);
    this.#host.accept(from, to, table.from[handle]!, record.seq, record.hops, payload);
  }

  /** Neighbour `node` is lost for good: both tables go. */
  lost(node: NodeId): void {
    this.#in.delete(node);
    if (!this.#out.delete(node)) return;
    for (const [port, binding] of this.#bindings) if (binding.node === node) this.#bindings.delete(port);
  }

  /** Handles this node's ports hold (for leak checks: 0 once no port sends to another node). */
  get sending(): number {
    return this.#bindings.size;
  }
}

function malformed(from: NodeId, what: string): EntangleError {
  return new EntangleError('ENTANGLE_ROUTING_MALFORMED', `${from} ${what}.`);
}
