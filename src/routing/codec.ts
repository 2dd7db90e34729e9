// Routing events ⇄ bytes (the format is in docs/routing.md, "Encoding"). One tag byte, then the
// fields in a fixed order: ids as 16 raw bytes, numbers as unsigned LEB128, the payload last.
// The decoder treats its input as hostile: every length is checked against the bytes left and
// the limits before anything is allocated, and every failure is an EntangleError.

import { EntangleError } from '../errors.ts';
import type { PortDescriptor, RoutingEvent, UserMessageEvent } from './events.ts';
import { ID_BYTES, idFromBytes, idToBytes } from './ids.ts';
import { resolveRoutingLimits, type RoutingLimits } from './limits.ts';

/** Stable event tags: never reuse or renumber one. */
export const EventTag = Object.freeze({
  userMessage: 1,
  accepted: 2,
  rejected: 3,
  requestAccept: 4,
  updatePrev: 5,
  observeProxy: 6,
  observeProxyAck: 7,
  observeClosure: 8,
  introduce: 9,
} as const);

const FLAG_OUTBOUND_CLOSED = 1;
const FLAG_INBOUND_CLOSED = 2;
const FLAGS_KNOWN = FLAG_OUTBOUND_CLOSED | FLAG_INBOUND_CLOSED;
/** port, referrer, channel, peerNode, peerPort, two one-byte varints at least, flags. */
const MIN_DESCRIPTOR_BYTES = 5 * ID_BYTES + 3;

// -----------------------------------------------------------------------------------------------
// Encoding.

/**
 * The event as bytes: exactly its size, never written again (a small event is a view into a chunk
 * shared with other events, like the wire encoder's messages). Throws TypeError for an event that
 * is not well-formed.
 */
export function encodeEvent(event: RoutingEvent): Uint8Array {
  const size = encodedSize(event);
  const out = allocate(size);
  const end = writeEvent(event, out);
  if (end !== size) throw new TypeError('encodeEvent: internal size mismatch.');
  return out;
}

// Events are many and small, and a link keeps each until its peer acknowledges it: cutting them
// from shared chunks saves an ArrayBuffer per event (an event's own `new Uint8Array` was the
// largest share of sending a small message across a link). A chunk lives while any of its events does.
const EVENT_CHUNK = 16 * 1024;
/** Events this large or larger get an array of their own. */
const OWN_ARRAY_FROM = 2 * 1024;
let chunk = new Uint8Array(EVENT_CHUNK);
let chunkUsed = 0;

function allocate(size: number): Uint8Array {
  if (size >= OWN_ARRAY_FROM) return new Uint8Array(size);
  if (EVENT_CHUNK - chunkUsed < size) {
    chunk = new Uint8Array(EVENT_CHUNK);
    chunkUsed = 0;
  }
  const out = chunk.subarray(chunkUsed, chunkUsed + size);
  chunkUsed += size;
  return out;
}

function encodedSize(event: RoutingEvent): number {
  switch (event.type) {
    case 'userMessage': {
      let size = 1 + 2 * ID_BYTES + varintSize(event.seq) + varintSize(event.hops) + varintSize(event.ports.length);
      for (const d of event.ports) size += descriptorSize(d);
      return size + varintSize(event.payload.length) + event.payload.length;
    }
    case 'accepted':
    case 'rejected':
    case 'requestAccept':
      return 1 + 2 * ID_BYTES;
    case 'updatePrev':
    case 'observeProxy':
      return 1 + 4 * ID_BYTES;
    case 'observeProxyAck':
    case 'observeClosure':
      return 1 + 2 * ID_BYTES + varintSize(event.lastSeq + 1);
    case 'introduce':
      return 1 + descriptorSize(event.port);
    default: {
      const _: never = event;
      throw new TypeError('encodeEvent: unknown event type.');
    }
  }
}

function descriptorSize(d: PortDescriptor): number {
  return 5 * ID_BYTES + varintSize(d.nextSend) + varintSize(d.nextReceive) + 1;
}

function writeEvent(event: RoutingEvent, out: Uint8Array): number {
  if (event.type === 'introduce') {
    out[0] = EventTag.introduce;
    return writeDescriptor(event.port, out, 1);
  }
  let pos = writeId(event.to, out, 1);
  pos = writeId(event.from, out, pos);
  switch (event.type) {
    case 'userMessage':
      out[0] = EventTag.userMessage;
      pos = writeVarint(event.seq, out, pos);
      pos = writeVarint(event.hops, out, pos);
      pos = writeVarint(event.ports.length, out, pos);
      for (const d of event.ports) pos = writeDescriptor(d, out, pos);
      pos = writeVarint(event.payload.length, out, pos);
      out.set(event.payload, pos);
      return pos + event.payload.length;
    case 'accepted':
    case 'rejected':
    case 'requestAccept':
      out[0] = EventTag[event.type];
      return pos;
    case 'updatePrev':
      out[0] = EventTag.updatePrev;
      return writeId(event.prevPort, out, writeId(event.prevNode, out, pos));
    case 'observeProxy':
      out[0] = EventTag.observeProxy;
      return writeId(event.targetPort, out, writeId(event.targetNode, out, pos));
    case 'observeProxyAck':
    case 'observeClosure':
      out[0] = EventTag[event.type];
      return writeVarint(event.lastSeq + 1, out, pos);
    default: {
      const _: never = event;
      return pos;
    }
  }
}

function writeDescriptor(d: PortDescriptor, out: Uint8Array, pos: number): number {
  pos = writeId(d.port, out, pos);
  pos = writeId(d.referrer, out, pos);
  pos = writeId(d.channel, out, pos);
  pos = writeId(d.peerNode, out, pos);
  pos = writeId(d.peerPort, out, pos);
  pos = writeVarint(d.nextSend, out, pos);
  pos = writeVarint(d.nextReceive, out, pos);
  out[pos] = (d.outboundClosed ? FLAG_OUTBOUND_CLOSED : 0) | (d.inboundClosed ? FLAG_INBOUND_CLOSED : 0);
  return pos + 1;
}

function writeId(id: string, out: Uint8Array, pos: number): number {
  if (typeof id !== 'string' || !idToBytes(id, out, pos)) throw new TypeError(`encodeEvent: ${String(id)} is not an id.`);
  return pos + ID_BYTES;
}

function varintSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`encodeEvent: ${n} is not a non-negative safe integer.`);
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(n: number, out: Uint8Array, pos: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[pos++] = n;
  return pos;
}

// -----------------------------------------------------------------------------------------------
// Handles: the short form of a userMessage event with no ports between two neighbours (the
// steady state of a port whose peer is one link away; src/realm/handles.ts keeps the tables).
// A bind names a pair of ports once; each message then names the pair by its handle.

/** Link message tags of the short form: distinct from every event tag above and the relay's (0x40, 0x41). */
export const HandleTag = Object.freeze({
  /** [tag][handle][to 16][from 16]: from now on on this link, `handle` means these two ports. */
  bind: 0x50,
  /** [tag][handle][seq][hops][payload to the end]: the userMessage event from → to with no ports. */
  message: 0x51,
} as const);

/** Handles per link and direction (a protocol constant: a decoder refuses a larger one). */
export const MAX_HANDLES = 4096;

export function encodeHandleBind(handle: number, to: string, from: string): Uint8Array {
  const out = allocate(1 + varintSize(handle) + 2 * ID_BYTES);
  out[0] = HandleTag.bind;
  writeId(from, out, writeId(to, out, writeVarint(handle, out, 1)));
  return out;
}

export function encodeHandleMessage(handle: number, seq: number, hops: number, payload: Uint8Array): Uint8Array {
  const header = handleMessageHeaderSize(handle, seq, hops);
  const out = allocate(header + payload.length);
  writeHandleMessageHeader(handle, seq, hops, out);
  out.set(payload, header);
  return out;
}

/** A MESSAGE's bytes up to its payload: for a large payload sent after it as a piece of its own, not copied behind it. */
export function encodeHandleMessageHeader(handle: number, seq: number, hops: number): Uint8Array {
  const out = allocate(handleMessageHeaderSize(handle, seq, hops));
  writeHandleMessageHeader(handle, seq, hops, out);
  return out;
}

function handleMessageHeaderSize(handle: number, seq: number, hops: number): number {
  return 1 + varintSize(handle) + varintSize(seq) + varintSize(hops);
}

function writeHandleMessageHeader(handle: number, seq: number, hops: number, out: Uint8Array): void {
  out[0] = HandleTag.message;
  writeVarint(hops, out, writeVarint(seq, out, writeVarint(handle, out, 1)));
}

const NO_PAYLOAD: Uint8Array = new Uint8Array(0);

/**
 * A decoded bind or message of the short form; `to`/`from` only for a bind, `seq`/`hops`/`payload`
 * only for a message. One record can be filled again and again (a link decodes one per message).
 */
export class HandleRecord {
  tag = 0;
  handle = 0;
  to = '';
  from = '';
  seq = 0;
  hops = 0;
  payload: Uint8Array = NO_PAYLOAD;
}

/** Hostile bytes of the short form → `into` (a new record by default), or throws as decodeEvent does. */
export function decodeHandleRecord(bytes: Uint8Array, limits?: Partial<RoutingLimits>, into = new HandleRecord()): HandleRecord {
  const reader = startReading(bytes, limits);
  try {
    const tag = reader.byte();
    const handle = reader.varint();
    if (handle >= MAX_HANDLES) throw malformed(`handle ${handle} (at most ${MAX_HANDLES - 1})`);
    into.tag = tag;
    into.handle = handle;
    if (tag === HandleTag.bind) {
      into.to = reader.id();
      into.from = reader.id();
      if (reader.pos !== bytes.length) throw malformed(`${bytes.length - reader.pos} bytes after a handle bind`);
      into.seq = into.hops = 0;
      into.payload = NO_PAYLOAD;
      return into;
    }
    if (tag !== HandleTag.message) throw malformed(`unknown short form tag ${tag}`);
    into.to = into.from = '';
    into.seq = reader.varint();
    into.hops = reader.varint();
    into.payload = reader.payload(bytes.length - reader.pos);
    return into;
  } finally {
    reader.bytes = NO_PAYLOAD;
  }
}

// -----------------------------------------------------------------------------------------------
// Decoding.

/** Hostile bytes → a RoutingEvent, or throws EntangleError code 'ENTANGLE_ROUTING_MALFORMED'
 *  (or ENTANGLE_WIRE_LIMIT past a limit). Never an engine error, never allocation from an unchecked length. */
export function decodeEvent(bytes: Uint8Array, limits?: Partial<RoutingLimits>): RoutingEvent {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeEvent() takes a Uint8Array.');
  const reader = startReading(bytes, limits);
  try {
    const event = reader.event();
    if (reader.pos !== bytes.length) throw malformed(`${bytes.length - reader.pos} bytes after the event`);
    return event;
  } finally {
    reader.bytes = NO_PAYLOAD;
  }
}

// A node decodes every event with the same frozen limits (Node.limits): resolved once, not per event.
let lastOptions: Partial<RoutingLimits> | undefined;
let lastResolved: RoutingLimits = resolveRoutingLimits(undefined);

function resolved(limits: Partial<RoutingLimits> | undefined): RoutingLimits {
  if (limits === lastOptions) return lastResolved;
  const result = resolveRoutingLimits(limits);
  // Only a frozen object is sure to mean the same limits next time.
  if (limits === undefined || Object.isFrozen(limits)) {
    lastOptions = limits;
    lastResolved = result;
  }
  return result;
}

function malformed(what: string): EntangleError {
  return new EntangleError('ENTANGLE_ROUTING_MALFORMED', `Malformed routing event: ${what}.`);
}

function overLimit(what: string): EntangleError {
  return new EntangleError('ENTANGLE_WIRE_LIMIT', `Routing event exceeds a limit: ${what}.`);
}

class Reader {
  pos = 0;
  constructor(public bytes: Uint8Array, public limits: RoutingLimits) {}

  event(): RoutingEvent {
    const tag = this.byte();
    if (tag === EventTag.introduce) return { type: 'introduce', port: this.descriptor() };
    const to = this.id();
    const from = this.id();
    switch (tag) {
      case EventTag.userMessage:
        return this.userMessage(to, from);
      case EventTag.accepted:
        return { type: 'accepted', to, from };
      case EventTag.rejected:
        return { type: 'rejected', to, from };
      case EventTag.requestAccept:
        return { type: 'requestAccept', to, from };
      case EventTag.updatePrev:
        return { type: 'updatePrev', to, from, prevNode: this.id(), prevPort: this.id() };
      case EventTag.observeProxy:
        return { type: 'observeProxy', to, from, targetNode: this.id(), targetPort: this.id() };
      case EventTag.observeProxyAck:
        return { type: 'observeProxyAck', to, from, lastSeq: this.lastSeq() };
      case EventTag.observeClosure:
        return { type: 'observeClosure', to, from, lastSeq: this.lastSeq() };
      default:
        throw malformed(`unknown event tag ${tag}`);
    }
  }

  userMessage(to: string, from: string): UserMessageEvent {
    const seq = this.varint();
    const hops = this.varint();
    const count = this.varint();
    if (count > this.limits.maxPortsPerMessage) throw overLimit(`${count} ports (maxPortsPerMessage ${this.limits.maxPortsPerMessage})`);
    if (count * MIN_DESCRIPTOR_BYTES > this.bytes.length - this.pos) throw malformed(`${count} ports do not fit in the bytes left`);
    const ports: PortDescriptor[] = [];
    for (let i = 0; i < count; i++) ports.push(this.descriptor());
    const payload = this.payload(this.varint());
    return { type: 'userMessage', to, from, seq, hops, payload, ports };
  }

  payload(length: number): Uint8Array {
    if (length > this.limits.maxPayloadBytes) throw overLimit(`payload of ${length} bytes (maxPayloadBytes ${this.limits.maxPayloadBytes})`);
    if (length > this.bytes.length - this.pos) throw malformed(`payload of ${length} bytes, ${this.bytes.length - this.pos} left`);
    // A payload of at least 1/16 of its frame is kept as a view (frames are never reused: a
    // large message is not copied again; the link batches at most 1 MiB into a frame, so a
    // payload of 64 KiB or more always is); a smaller one is copied, so that one small message
    // waiting at a port that is never read cannot hold a frame many times its size (at most 16×).
    // (`slice` of a small one is cheaper than a view into a shared chunk plus a copy: 55 against 97 ns.)
    const buffer = this.bytes.buffer;
    const payload = length * 16 >= buffer.byteLength
      ? this.bytes.subarray(this.pos, this.pos + length)
      : this.bytes.slice(this.pos, this.pos + length);
    this.pos += length;
    return payload;
  }

  descriptor(): PortDescriptor {
    const port = this.id();
    const referrer = this.id();
    const channel = this.id();
    const peerNode = this.id();
    const peerPort = this.id();
    const nextSend = this.varint();
    const nextReceive = this.varint();
    const flags = this.byte();
    if ((flags & ~FLAGS_KNOWN) !== 0) throw malformed(`unknown port flags ${flags}`);
    return {
      port, referrer, channel, peerNode, peerPort, nextSend, nextReceive,
      outboundClosed: (flags & FLAG_OUTBOUND_CLOSED) !== 0,
      inboundClosed: (flags & FLAG_INBOUND_CLOSED) !== 0,
    };
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw malformed('truncated');
    return this.bytes[this.pos++] as number;
  }

  id(): string {
    if (this.pos + ID_BYTES > this.bytes.length) throw malformed('truncated id');
    const id = idFromBytes(this.bytes, this.pos);
    this.pos += ID_BYTES;
    return id;
  }

  /** −1 … 2^53 − 2, written plus one. */
  lastSeq(): number {
    return this.varint() - 1;
  }

  /** Unsigned LEB128 up to 2^53 − 1 (at most 8 bytes, no needless continuation bytes). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw malformed('overlong varint');
        if (result > Number.MAX_SAFE_INTEGER) throw malformed('varint above 2^53 − 1');
        return result;
      }
      scale *= 0x80;
    }
    throw malformed('varint longer than 8 bytes');
  }
}

// One reader for every decode: decoding runs no other code, so it is never re-entered (and it
// lets go of the bytes when done).
const sharedReader = new Reader(NO_PAYLOAD, lastResolved);

function startReading(bytes: Uint8Array, limits: Partial<RoutingLimits> | undefined): Reader {
  sharedReader.bytes = bytes;
  sharedReader.pos = 0;
  sharedReader.limits = resolved(limits);
  return sharedReader;
}
