// Link transports over core NATS: every node has one inbox subject; a NatsMux owns what arrives
// there and hands each NATS message to the per-peer NatsTransport it belongs to, by the header's
// sender node id and connection id. Frames sent in one turn leave in as few NATS messages as
// max_payload allows; a frame larger than that goes in fragments. Every NATS message of a
// connection is numbered: a gap (messages lost in a server failover) breaks that transport, and
// the link resumes on a new one and resends what was not acknowledged. The byte layout is in
// docs/protocol.md ("NATS transport"). No NATS client is imported: the mesh passes `publish`.

import { EntangleError } from '../errors.ts';
import { idFromBytes, idToBytes, ID_BYTES, type NodeId } from '../routing/ids.ts';
import type { FrameTransport } from '../link/transport.ts';
import { FRAME_HELLO } from '../link/frames.ts';
import { toHex } from '../link/node-id.ts';
import { NodeTransportBase } from './node-transport.ts';

/** The first byte of every NATS message of this transport: the framing's version. */
export const NATS_FRAMING_VERSION = 1;

/** Message kinds (byte 1). Stable: a new kind gets a new number. */
export const NatsKind = Object.freeze({
  /** Whole link frames, each a u32 BE length then its bytes. */
  frames: 0x01,
  /** A piece of one frame too large for a NATS message; more pieces follow. */
  fragment: 0x02,
  /** The last piece of a fragmented frame. */
  fragmentEnd: 0x03,
  /** The sender closed this connection. */
  close: 0x04,
  /** [version][kind] only, sent as a request: is there a node on this inbox? (answered with an empty reply). */
  probe: 0x05,
} as const);

/** version, kind, sender node id, connection id, message number (u32 BE). */
export const NATS_HEADER_BYTES = 2 + ID_BYTES + 8 + 4;
const CONN_OFFSET = 2 + ID_BYTES;
const SEQ_OFFSET = CONN_OFFSET + 8;
/** Most stale connections remembered as told (NatsMux's resets). */
const MAX_RESETS = 1024;
/** A frame's length prefix inside a `frames` message. */
const LENGTH_BYTES = 4;
/** Where a link hello carries the sender's node id (src/link/frames.ts: type, magic, version, flags). */
const HELLO_NODE_OFFSET = 7;
/** Smallest max_payload this transport works with: a header and a useful piece of a frame. */
export const MIN_NATS_PAYLOAD = 1024;

export interface NatsMuxOptions {
  /** This node's id: the sender in every header; messages claiming it are dropped. */
  readonly localNode: NodeId;
  /** Publishes `payload` on `subject` (a NATS connection's publish). May throw when the connection is closed. */
  readonly publish: (subject: string, payload: Uint8Array) => void;
  /** The subject of a node's inbox. */
  readonly inbox: (node: NodeId) => string;
  /** The server's max_payload: no NATS message built here is larger. */
  readonly maxPayload: number;
  /** Largest frame accepted, reassembled fragments included (the link's maxFrameBytes). */
  readonly maxFrameBytes: number;
  /** Most connections opened by peers and not yet handed over (accepted and not yet established); past it new ones are dropped. Stops a flood of hellos from holding memory. */
  readonly maxPendingAccepts: number;
  /** A peer opened a connection: run the link's handshake on it (then call `established`). */
  readonly accept: (transport: NatsTransport) => void;
  /** Fills bytes with random values (connection ids; default crypto.getRandomValues). */
  readonly random?: (bytes: Uint8Array) => void;
}

export interface NatsMuxStats {
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Connections open now. */
  readonly connections: number;
  readonly accepted: number;
  /** Messages dropped: not this framing, too short, claiming this node as sender, for a connection that is gone, or past maxPendingAccepts. */
  readonly dropped: number;
  /** Connections broken by a gap in their message numbers. */
  readonly gaps: number;
}

/** One node's inbox: demultiplexes its NATS messages to per-peer transports and opens new ones. */
export class NatsMux {
  readonly #options: NatsMuxOptions;
  readonly #self: Uint8Array = new Uint8Array(ID_BYTES);
  readonly #random: (bytes: Uint8Array) => void;
  /** Open connections by peer node id + connection id (hex). */
  readonly #connections = new Map<string, NatsTransport>();
  readonly #pendingAccepts = new Set<NatsTransport>();
  /** Connections broken while the NATS connection was down, whose peers are still to be told. */
  readonly #broken: NatsTransport[] = [];
  /** Stale connections whose peers were told so (#reset). */
  readonly #resets = new Set<string>();
  #stats = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, accepted: 0, dropped: 0, gaps: 0 };

  constructor(options: NatsMuxOptions) {
    if (!Number.isInteger(options.maxPayload) || options.maxPayload < MIN_NATS_PAYLOAD) {
      throw new RangeError(`NatsMux: max_payload must be an integer of at least ${MIN_NATS_PAYLOAD} bytes.`);
    }
    this.#options = options;
    idToBytes(options.localNode, this.#self, 0);
    this.#random = options.random ?? ((bytes) => globalThis.crypto.getRandomValues(bytes));
  }

  /** The server's max_payload this mux builds messages for. */
  get maxPayload(): number {
    return this.#options.maxPayload;
  }

  /** A new connection to `peer` (for a link's dialled handshake). */
  dial(peer: NodeId): NatsTransport {
    const conn = new Uint8Array(8);
    this.#random(conn);
    return this.#open(peer, conn);
  }

  /** Every open connection. */
  connections(): NatsTransport[] {
    return [...this.#connections.values()];
  }

  /** The handshake on an accepted connection ended (either way): it no longer counts against maxPendingAccepts. */
  established(transport: NatsTransport): void {
    this.#pendingAccepts.delete(transport);
  }

  /** One NATS message that arrived on this node's inbox. Never throws: bytes from outside are hostile. */
  receive(message: Uint8Array): void {
    // A plain view: a Node Buffer's slice() would alias where the link layers copy.
    const data = message.constructor === Uint8Array ? message : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    const stats = this.#stats;
    stats.messagesReceived++;
    stats.bytesReceived += data.byteLength;
    if (data.byteLength < NATS_HEADER_BYTES || data[0] !== NATS_FRAMING_VERSION) {
      stats.dropped++;
      return;
    }
    const kind = data[1]!;
    let fromSelf = true;
    for (let i = 0; i < ID_BYTES; i++) if (data[2 + i] !== this.#self[i]) fromSelf = false;
    if (fromSelf) {
      stats.dropped++;
      return;
    }
    const peer = idFromBytes(data, 2);
    const conn = data.subarray(CONN_OFFSET, SEQ_OFFSET);
    const seq = new DataView(data.buffer, data.byteOffset + SEQ_OFFSET, 4).getUint32(0);
    const key = peer + toHex(conn);
    let transport = this.#connections.get(key);
    if (transport === undefined) {
      if (seq !== 0 || (kind !== NatsKind.frames && kind !== NatsKind.fragment)) {
        // A later message of a connection that is gone here (closed, or broken while this node's
        // NATS connection was down): tell the peer once, so it stops using it and dials again.
        stats.dropped++;
        if (kind !== NatsKind.close) this.#reset(peer, conn, key);
        return;
      }
      // Only the first message of a connection opens one.
      if (this.#pendingAccepts.size >= this.#options.maxPendingAccepts) {
        stats.dropped++;
        return;
      }
      transport = this.#open(peer, conn.slice());
      this.#pendingAccepts.add(transport);
      stats.accepted++;
      this.#options.accept(transport);
      if (transport.closed) return;
    }
    transport.receive(kind, seq, data.subarray(NATS_HEADER_BYTES));
  }

  /**
   * Breaks every connection: the NATS connection was lost, and what was in flight may be lost too.
   * Their peers are told once it is back (`announceBroken`): a close published now might be lost.
   */
  breakAll(error: EntangleError): void {
    for (const transport of [...this.#connections.values()]) {
      this.#broken.push(transport);
      transport.break(error);
    }
  }

  /** The NATS connection is back: tells the peers of the connections breakAll ended (before anything newer reaches them). */
  announceBroken(): void {
    for (const transport of this.#broken.splice(0)) transport.announceClose();
  }

  #reset(peer: NodeId, conn: Uint8Array, key: string): void {
    if (this.#resets.has(key)) return;
    // Bounded: forgetting only means a stale connection may be told twice.
    if (this.#resets.size >= MAX_RESETS) this.#resets.clear();
    this.#resets.add(key);
    const payload = new Uint8Array(NATS_HEADER_BYTES);
    payload[0] = NATS_FRAMING_VERSION;
    payload[1] = NatsKind.close;
    payload.set(this.#self, 2);
    payload.set(conn, CONN_OFFSET);
    try {
      this.#send(peer, payload);
    } catch {
      // The NATS connection is closed: there is nobody left to tell.
    }
  }

  #send(peer: NodeId, payload: Uint8Array): void {
    this.#stats.messagesSent++;
    this.#stats.bytesSent += payload.byteLength;
    this.#options.publish(this.#options.inbox(peer), payload);
  }

  stats(): NatsMuxStats {
    return { ...this.#stats, connections: this.#connections.size };
  }

  #open(peer: NodeId, conn: Uint8Array): NatsTransport {
    const key = peer + toHex(conn);
    const header = new Uint8Array(NATS_HEADER_BYTES);
    header[0] = NATS_FRAMING_VERSION;
    header.set(this.#self, 2);
    header.set(conn, CONN_OFFSET);
    const transport = new NatsTransport(peer, toHex(conn), header, this.#options.maxPayload, this.#options.maxFrameBytes, {
      publish: (payload) => this.#send(peer, payload),
      gone: (t, gap) => {
        if (this.#connections.get(key) === t) this.#connections.delete(key);
        this.#pendingAccepts.delete(t);
        if (gap) this.#stats.gaps++;
      },
    });
    this.#connections.set(key, transport);
    return transport;
  }
}

interface TransportHost {
  publish(payload: Uint8Array): void;
  /** The transport closed or broke (`gap`: its message numbers had a hole). */
  gone(transport: NatsTransport, gap: boolean): void;
}

/**
 * One connection between this node and a peer over their inboxes: a FrameTransport. Frames sent
 * in one turn are published together at the end of it (a microtask), in order.
 */
export class NatsTransport extends NodeTransportBase implements FrameTransport {
  readonly peer: NodeId;
  /** Connection id (hex): chosen by the dialler, random, the same on both sides. */
  readonly conn: string;
  readonly #header: Uint8Array;
  readonly #maxPayload: number;
  readonly #host: TransportHost;
  #pending: Uint8Array[] = [];
  #flushQueued = false;
  #sendSeq = 0;
  #receiveSeq = 0;
  /** Pieces of a fragmented frame received so far. */
  #pieces: Uint8Array[] = [];
  #pieceBytes = 0;
  #closed = false;
  /** Whether the peer's hello came (the first frame): it must name the node the headers name. */
  #greeted = false;

  /** @internal Made by NatsMux. */
  constructor(peer: NodeId, conn: string, header: Uint8Array, maxPayload: number, maxFrameBytes: number, host: TransportHost) {
    super('NatsTransport', maxFrameBytes);
    this.peer = peer;
    this.conn = conn;
    this.#header = header;
    this.#maxPayload = maxPayload;
    this.#host = host;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(frame: Uint8Array): void {
    if (this.#closed) return;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.byteLength;
    this.#pending.push(frame);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // After the link's own end-of-turn flush (also a microtask, queued before this one).
    queueMicrotask(() => this.#flush());
  }

  /** Graceful: what was sent goes out, then a close; onclose follows here (the peer's on the close). */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#publish(NatsKind.close, new Uint8Array(0));
    this.#end(undefined, false);
  }

  /**
   * Ends the connection because it can no longer be trusted to carry every frame (the NATS
   * connection was lost): onclose with `error`, so the link waits for a new transport and resends.
   */
  break(error: EntangleError): void {
    this.#break(error, false, false);
  }

  /** `tellPeer`: publish a close so the peer stops using it too (it arrives before anything newer). */
  #break(error: EntangleError, tellPeer: boolean, gap: boolean): void {
    if (this.#closed) return;
    this.#pending = [];
    if (tellPeer) this.#publish(NatsKind.close, new Uint8Array(0));
    this.#end(error, gap);
  }

  /** @internal Tells the peer this connection is closed (after a break that could not tell it). */
  announceClose(): void {
    this.#write(NatsKind.close, new Uint8Array(0));
  }

  /** @internal A NATS message of this connection (header already read). */
  receive(kind: number, seq: number, body: Uint8Array): void {
    if (this.#closed) return;
    // A close may come from a peer that lost count (it answers a message of a connection it no
    // longer has): it ends the connection wherever it falls. Its id is 64 random bits: unguessable.
    if (kind === NatsKind.close) {
      this.#end(new EntangleError('ENTANGLE_LINK_CLOSED', `NatsTransport: ${this.peer} closed the connection.`), false);
      return;
    }
    if (seq !== this.#receiveSeq) {
      this.#break(new EntangleError('ENTANGLE_LINK_CLOSED', `NatsTransport: a gap in the messages from ${this.peer} (expected ${this.#receiveSeq}, got ${seq}): some were lost.`), true, true);
      return;
    }
    this.#receiveSeq = (seq + 1) >>> 0;
    this.stats.bytesReceived += body.byteLength;
    switch (kind) {
      case NatsKind.frames:
        this.#frames(body);
        return;
      case NatsKind.fragment:
      case NatsKind.fragmentEnd:
        this.#piece(body, kind === NatsKind.fragmentEnd);
        return;
      default:
        this.#fail('ENTANGLE_LINK_PROTOCOL', `NatsTransport: unknown message kind 0x${kind.toString(16)} from ${this.peer}.`);
    }
  }

  #frames(body: Uint8Array): void {
    if (this.#pieces.length > 0) {
      this.#fail('ENTANGLE_LINK_PROTOCOL', `NatsTransport: whole frames from ${this.peer} in the middle of a fragmented one.`);
      return;
    }
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    let pos = 0;
    while (pos < body.byteLength && !this.#closed) {
      if (body.byteLength - pos < LENGTH_BYTES) {
        this.#fail('ENTANGLE_LINK_PROTOCOL', `NatsTransport: a frame length cut short in a message from ${this.peer}.`);
        return;
      }
      const length = view.getUint32(pos);
      pos += LENGTH_BYTES;
      if (length > body.byteLength - pos) {
        this.#fail('ENTANGLE_LINK_PROTOCOL', `NatsTransport: a frame of ${length} bytes runs past the end of a message from ${this.peer}.`);
        return;
      }
      if (length > this.maxFrameBytes) {
        this.#fail('ENTANGLE_LINK_FRAME_TOO_LARGE', `NatsTransport: a frame of ${length} bytes from ${this.peer}; maxFrameBytes is ${this.maxFrameBytes}.`);
        return;
      }
      this.#deliver(body.subarray(pos, pos + length));
      pos += length;
    }
  }

  #piece(body: Uint8Array, last: boolean): void {
    this.#pieceBytes += body.byteLength;
    if (this.#pieceBytes > this.maxFrameBytes) {
      this.#fail('ENTANGLE_LINK_FRAME_TOO_LARGE', `NatsTransport: a fragmented frame from ${this.peer} over maxFrameBytes ${this.maxFrameBytes}.`);
      return;
    }
    this.#pieces.push(body);
    if (!last) return;
    const frame = new Uint8Array(this.#pieceBytes);
    let pos = 0;
    for (const piece of this.#pieces) {
      frame.set(piece, pos);
      pos += piece.byteLength;
    }
    this.#pieces = [];
    this.#pieceBytes = 0;
    this.#deliver(frame);
  }

  #deliver(frame: Uint8Array): void {
    if (!this.#greeted) {
      // The header's sender decides where answers go; the hello's node decides which link this
      // is. They must agree, or a node could speak for another (docs/protocol.md, "NATS transport").
      if (frame[0] !== FRAME_HELLO || frame.byteLength < HELLO_NODE_OFFSET + ID_BYTES || idFromBytes(frame, HELLO_NODE_OFFSET) !== this.peer) {
        this.#fail('ENTANGLE_LINK_PROTOCOL', `NatsTransport: the first frame from ${this.peer} is not its hello.`);
        return;
      }
      this.#greeted = true;
    }
    this.stats.framesReceived++;
    this.inbox.deliver(frame);
  }

  /** Publishes what was sent this turn: frames packed into messages of at most max_payload, larger ones in pieces. */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#closed || this.#pending.length === 0) return;
    const frames = this.#pending;
    this.#pending = [];
    const room = this.#maxPayload - NATS_HEADER_BYTES;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    const publishBatch = (): void => {
      if (batch.length === 0 || this.#closed) return;
      // Written straight into the message: one copy of each frame.
      const payload = new Uint8Array(NATS_HEADER_BYTES + batchBytes);
      const view = new DataView(payload.buffer);
      let pos = NATS_HEADER_BYTES;
      for (const frame of batch) {
        view.setUint32(pos, frame.byteLength);
        payload.set(frame, pos + LENGTH_BYTES);
        pos += LENGTH_BYTES + frame.byteLength;
      }
      batch = [];
      batchBytes = 0;
      this.#send(NatsKind.frames, payload);
    };
    for (const frame of frames) {
      const size = LENGTH_BYTES + frame.byteLength;
      if (size > room) {
        publishBatch();
        for (let pos = 0; pos < frame.byteLength; pos += room) {
          const end = Math.min(frame.byteLength, pos + room);
          this.#publish(end === frame.byteLength ? NatsKind.fragmentEnd : NatsKind.fragment, frame.subarray(pos, end));
        }
        continue;
      }
      if (batchBytes + size > room) publishBatch();
      batch.push(frame);
      batchBytes += size;
    }
    publishBatch();
  }

  #publish(kind: number, body: Uint8Array): void {
    if (!this.#closed) this.#write(kind, body);
  }

  #write(kind: number, body: Uint8Array): void {
    const payload = new Uint8Array(NATS_HEADER_BYTES + body.byteLength);
    payload.set(body, NATS_HEADER_BYTES);
    this.#send(kind, payload);
  }

  /** Stamps the header (kind, this connection's next message number) on `payload` and publishes it. */
  #send(kind: number, payload: Uint8Array): void {
    payload.set(this.#header, 0);
    payload[1] = kind;
    new DataView(payload.buffer, payload.byteOffset).setUint32(SEQ_OFFSET, this.#sendSeq);
    this.#sendSeq = (this.#sendSeq + 1) >>> 0;
    try {
      this.#host.publish(payload);
    } catch (cause) {
      this.#end(new EntangleError('ENTANGLE_LINK_CLOSED', `NatsTransport: publishing to ${this.peer} failed.`, { cause }), false);
    }
  }

  /** Bytes that break this framing: the connection ends, and the peer is told. */
  #fail(code: 'ENTANGLE_LINK_PROTOCOL' | 'ENTANGLE_LINK_FRAME_TOO_LARGE', message: string): void {
    this.#publish(NatsKind.close, new Uint8Array(0));
    this.#end(new EntangleError(code, message), false);
  }

  #end(error: EntangleError | undefined, gap: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    this.#pieces = [];
    this.#host.gone(this, gap);
    this.fireClose(error);
  }
}

/** A probe request's payload: asks whether a node listens on an inbox. */
export const PROBE = Uint8Array.of(NATS_FRAMING_VERSION, NatsKind.probe);

/** Whether `data` is a probe. */
export function isProbe(data: Uint8Array): boolean {
  return data.byteLength === 2 && data[0] === NATS_FRAMING_VERSION && data[1] === NatsKind.probe;
}
