// Link frames: types, stable numbers, encoders, and a decoder for hostile bytes. The byte layouts
// are written up in docs/protocol.md ("Link frames"). Every length is checked against the bytes
// left before anything is read for it; every failure is an EntangleError with a LINK code.

import { EntangleError, type EntangleErrorCode } from '../errors.ts';
import { toHex, writeNodeId, type NodeId } from './node-id.ts';
import type { LinkMessage } from './resend-buffer.ts';
import { Gather, keptBytes } from '../util/gather.ts';
import { uninitializedBytes } from '../util/uninitialized.ts';

/** The link protocol version in every hello. A peer with another version is refused (ENTANGLE_LINK_VERSION). */
export const LINK_VERSION = 1;

/** Frame type bytes: stable; a new frame gets a new number, a number is never reused. */
export const FRAME_HELLO = 0x01;
export const FRAME_PROOF = 0x02;
export const FRAME_DATA = 0x03;
export const FRAME_ACK = 0x04;
export const FRAME_PING = 0x05;
export const FRAME_BYE = 0x06;

/** "ENTL": lets a hello from something that is not entangle fail as garbage, not as a version. */
export const HELLO_MAGIC = Uint8Array.of(0x45, 0x4e, 0x54, 0x4c);
/** Hello flag: this side uses a shared token (both sides must agree). Other bits must be 0. */
export const HELLO_FLAG_TOKEN = 0x01;
export const NONCE_BYTES = 32;
export const SESSION_BYTES = 16;
export const MAC_BYTES = 32;
/** type, magic, version, flags, node id, nonce, maxFrameBytes (u32 BE). */
export const HELLO_BYTES = 1 + 4 + 1 + 1 + 16 + NONCE_BYTES + 4;
/** type, session, lastReceived (u64 BE), dial (u32 BE): the part of a proof its MAC covers. */
export const PROOF_BODY_BYTES = 1 + SESSION_BYTES + 8 + 4;
/** The most a DATA frame adds around one message: type, ack, firstSeq, count and length varints. */
export const DATA_OVERHEAD = 1 + 8 + 8 + 1 + 8;

export interface HelloFrame {
  readonly type: typeof FRAME_HELLO;
  readonly flags: number;
  readonly node: NodeId;
  readonly nonce: Uint8Array;
  readonly maxFrameBytes: number;
}
export interface ProofFrame {
  readonly type: typeof FRAME_PROOF;
  /** The session this side holds for the peer, hex; all zeros = none (a fresh link). */
  readonly session: string;
  readonly lastReceived: number;
  /** The sender's count of transports it dialled, this one included; 0 if it accepted this one. Orders a dialler's transports. */
  readonly dial: number;
  /** Empty when no token is used. */
  readonly mac: Uint8Array;
}
export interface DataFrame {
  readonly type: typeof FRAME_DATA;
  readonly ack: number;
  readonly firstSeq: number;
  /** Views into the frame: never copied, never written. */
  readonly messages: Uint8Array[];
}
export interface AckFrame {
  readonly type: typeof FRAME_ACK;
  readonly ack: number;
}
export interface PingFrame {
  readonly type: typeof FRAME_PING;
}
export interface ByeFrame {
  readonly type: typeof FRAME_BYE;
  readonly reason: number;
}
export type Frame = HelloFrame | ProofFrame | DataFrame | AckFrame | PingFrame | ByeFrame;

export const NO_SESSION = '0'.repeat(2 * SESSION_BYTES);

export function linkError(code: EntangleErrorCode, message: string): EntangleError {
  return new EntangleError(code, message);
}

function protocol(what: string): EntangleError {
  return linkError('ENTANGLE_LINK_PROTOCOL', `Link protocol error: ${what}.`);
}

// --- bye reasons: a byte per code, so the peer learns why it was refused or dropped ---

const BYE_REASONS: readonly EntangleErrorCode[] = [
  'ENTANGLE_LINK_CLOSED',
  'ENTANGLE_LINK_PROTOCOL',
  'ENTANGLE_LINK_AUTH',
  'ENTANGLE_LINK_VERSION',
  'ENTANGLE_LINK_FRAME_TOO_LARGE',
  'ENTANGLE_LINK_HANDSHAKE_TIMEOUT',
  'ENTANGLE_LINK_HEARTBEAT_TIMEOUT',
  'ENTANGLE_LINK_RESEND_OVERFLOW',
  'ENTANGLE_LINK_PEER_RESTARTED',
  'ENTANGLE_ROUTING_FORBIDDEN',
  'ENTANGLE_ROUTING_MALFORMED',
];

export function byeReason(code: EntangleErrorCode): number {
  const reason = BYE_REASONS.indexOf(code);
  return reason < 0 ? 0 : reason;
}

/** The code a bye's reason stands for; unknown reasons read as a plain close. */
export function byeCode(reason: number): EntangleErrorCode {
  return BYE_REASONS[reason] ?? 'ENTANGLE_LINK_CLOSED';
}

// --- varints: unsigned LEB128 up to 2^53 − 1, as in the wire format ---

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[pos++] = n;
  return pos;
}

function writeU64(out: Uint8Array, pos: number, n: number): void {
  const hi = Math.floor(n / 0x1_0000_0000);
  writeU32(out, pos, hi);
  writeU32(out, pos + 4, n >>> 0);
}

function writeU32(out: Uint8Array, pos: number, n: number): void {
  out[pos] = n >>> 24;
  out[pos + 1] = (n >>> 16) & 0xff;
  out[pos + 2] = (n >>> 8) & 0xff;
  out[pos + 3] = n & 0xff;
}

function readU32(src: Uint8Array, pos: number): number {
  return ((src[pos]! << 24) >>> 0) + (src[pos + 1]! << 16) + (src[pos + 2]! << 8) + src[pos + 3]!;
}

// --- encoders ---

export function encodeHello(hello: Omit<HelloFrame, 'type'>): Uint8Array {
  const out = new Uint8Array(HELLO_BYTES);
  out[0] = FRAME_HELLO;
  out.set(HELLO_MAGIC, 1);
  out[5] = LINK_VERSION;
  out[6] = hello.flags;
  writeNodeId(hello.node, out, 7);
  out.set(hello.nonce, 23);
  writeU32(out, 23 + NONCE_BYTES, hello.maxFrameBytes);
  return out;
}

/** A proof's MAC-covered body: type, session (16 bytes), lastReceived (u64 BE), dial (u32 BE). */
export function encodeProofBody(session: Uint8Array, lastReceived: number, dial: number): Uint8Array {
  const out = new Uint8Array(PROOF_BODY_BYTES);
  out[0] = FRAME_PROOF;
  out.set(session, 1);
  writeU64(out, 1 + SESSION_BYTES, lastReceived);
  writeU32(out, 1 + SESSION_BYTES + 8, dial);
  return out;
}

export function encodeProof(body: Uint8Array, mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + mac.length);
  out.set(body, 0);
  out.set(mac, body.length);
  return out;
}

/** Size of a DATA frame carrying `count` messages whose lengths plus length varints add up to `payload`. */
export function dataFrameSize(ack: number, firstSeq: number, count: number, payload: number): number {
  return 1 + varintLength(ack) + varintLength(firstSeq) + varintLength(count) + payload;
}

/**
 * A DATA frame with messages `messages[from]` … `messages[from + count - 1]` (`lengths` are
 * theirs), numbered from `firstSeq`. A message of pieces is written piece after piece.
 */
export function encodeData(
  ack: number, firstSeq: number, messages: readonly LinkMessage[], lengths: readonly number[], from: number, count: number, size: number,
): Uint8Array {
  // Every byte is written below.
  const out = uninitializedBytes(size);
  out[0] = FRAME_DATA;
  let pos = writeVarint(out, 1, ack);
  pos = writeVarint(out, pos, firstSeq);
  pos = writeVarint(out, pos, count);
  for (let i = from; i < from + count; i++) {
    const message = messages[i]!;
    pos = writeVarint(out, pos, lengths[i]!);
    if (message instanceof Uint8Array) {
      out.set(message, pos);
      pos += message.length;
    } else {
      for (let k = 0; k < message.length; k++) {
        const piece = message[k]!;
        out.set(piece, pos);
        pos += piece.length;
      }
    }
  }
  // An uninitialized byte must never go out: the size given has to be the size written.
  if (pos !== size) throw new RangeError(`encodeData: wrote ${pos} bytes for a frame of ${size}.`);
  return out;
}

/**
 * The DATA frame `encodeData` returns, as pieces to be written one after the other: every piece
 * of a message with `gatherFrom` bytes or more as it is (never copied), everything between two
 * such pieces as a view into one buffer holding all the rest. For a transport that writes pieces
 * without joining them (a socket's writev): a burst of large messages then costs no frame-sized
 * allocation and copy.
 */
export function encodeDataPieces(
  ack: number, firstSeq: number, messages: readonly LinkMessage[], lengths: readonly number[], from: number, count: number, size: number,
  gatherFrom: number,
): Uint8Array[] {
  // Every byte of the copied part is written below (Gather.finish checks).
  const out = new Gather(uninitializedBytes(size - keptBytes(messages, from, from + count, gatherFrom)), gatherFrom);
  const rest = out.buffer;
  rest[0] = FRAME_DATA;
  out.pos = writeVarint(rest, 1, ack);
  out.pos = writeVarint(rest, out.pos, firstSeq);
  out.pos = writeVarint(rest, out.pos, count);
  for (let i = from; i < from + count; i++) {
    out.pos = writeVarint(rest, out.pos, lengths[i]!);
    out.put(messages[i]!);
  }
  return out.finish('encodeDataPieces');
}

export function encodeAck(ack: number): Uint8Array {
  const out = new Uint8Array(1 + varintLength(ack));
  out[0] = FRAME_ACK;
  writeVarint(out, 1, ack);
  return out;
}

export function encodePing(): Uint8Array {
  return Uint8Array.of(FRAME_PING);
}

export function encodeBye(code: EntangleErrorCode): Uint8Array {
  return Uint8Array.of(FRAME_BYE, byeReason(code));
}

// --- decoder ---

class Cursor {
  pos = 1;
  constructor(readonly src: Uint8Array) {}

  get left(): number {
    return this.src.length - this.pos;
  }

  varint(what: string): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.src.length) throw protocol(`${what} truncated`);
      const b = this.src[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw protocol(`${what} above 2^53 - 1`);
        return result;
      }
      scale *= 0x80;
    }
    throw protocol(`${what} longer than 8 bytes`);
  }

  end(what: string): void {
    if (this.pos !== this.src.length) throw protocol(`${this.src.length - this.pos} bytes after the ${what} frame`);
  }
}

/**
 * One frame from bytes nobody vouched for. Throws ENTANGLE_LINK_VERSION for a hello of another
 * version, ENTANGLE_LINK_PROTOCOL for anything else that is not exactly a frame. The caller checks
 * the frame size against maxFrameBytes first.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length === 0) throw protocol('empty frame');
  const type = bytes[0]!;
  switch (type) {
    case FRAME_HELLO:
      return decodeHello(bytes);
    case FRAME_PROOF:
      return decodeProof(bytes);
    case FRAME_DATA:
      return decodeData(bytes);
    case FRAME_ACK: {
      const c = new Cursor(bytes);
      const ack = c.varint('ack');
      c.end('ack');
      return { type: FRAME_ACK, ack };
    }
    case FRAME_PING:
      if (bytes.length !== 1) throw protocol('bytes after the ping frame');
      return { type: FRAME_PING };
    case FRAME_BYE:
      if (bytes.length !== 2) throw protocol('a bye frame is 2 bytes');
      return { type: FRAME_BYE, reason: bytes[1]! };
    default:
      throw protocol(`unknown frame type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

function decodeHello(bytes: Uint8Array): HelloFrame {
  // Magic and version come first and are checked first, so that a later version may change the rest.
  if (bytes.length < 6) throw protocol('hello truncated');
  for (let i = 0; i < 4; i++) if (bytes[1 + i] !== HELLO_MAGIC[i]) throw protocol('hello without the ENTL magic');
  if (bytes[5] !== LINK_VERSION) {
    throw linkError('ENTANGLE_LINK_VERSION', `Peer speaks link protocol version ${bytes[5]}; this side speaks ${LINK_VERSION}.`);
  }
  if (bytes.length !== HELLO_BYTES) throw protocol(`a version ${LINK_VERSION} hello is ${HELLO_BYTES} bytes, got ${bytes.length}`);
  const flags = bytes[6]!;
  if ((flags & ~HELLO_FLAG_TOKEN) !== 0) throw protocol(`unknown hello flags 0x${flags.toString(16)}`);
  return {
    type: FRAME_HELLO,
    flags,
    node: toHex(bytes.subarray(7, 23)),
    nonce: bytes.slice(23, 23 + NONCE_BYTES),
    maxFrameBytes: readU32(bytes, 23 + NONCE_BYTES),
  };
}

function decodeProof(bytes: Uint8Array): ProofFrame {
  if (bytes.length !== PROOF_BODY_BYTES && bytes.length !== PROOF_BODY_BYTES + MAC_BYTES) {
    throw protocol(`a proof is ${PROOF_BODY_BYTES} or ${PROOF_BODY_BYTES + MAC_BYTES} bytes, got ${bytes.length}`);
  }
  const at = 1 + SESSION_BYTES;
  const hi = readU32(bytes, at);
  if (hi > 0x1f_ffff) throw protocol('proof lastReceived above 2^53 - 1');
  return {
    type: FRAME_PROOF,
    session: toHex(bytes.subarray(1, at)),
    lastReceived: hi * 0x1_0000_0000 + readU32(bytes, at + 4),
    dial: readU32(bytes, at + 8),
    mac: bytes.slice(PROOF_BODY_BYTES),
  };
}

function decodeData(bytes: Uint8Array): DataFrame {
  const c = new Cursor(bytes);
  const ack = c.varint('ack');
  const firstSeq = c.varint('firstSeq');
  const count = c.varint('count');
  if (firstSeq < 1) throw protocol('data firstSeq 0');
  if (count < 1) throw protocol('data frame without messages');
  // Every message takes at least its one-byte length: a count beyond the bytes left is a lie, and is refused before any allocation.
  if (count > c.left) throw protocol(`data count ${count} with ${c.left} bytes left`);
  if (firstSeq + count - 1 > Number.MAX_SAFE_INTEGER) throw protocol('data sequence above 2^53 - 1');
  const messages: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const length = c.varint('message length');
    if (length > c.left) throw protocol(`message length ${length} with ${c.left} bytes left`);
    messages[i] = bytes.subarray(c.pos, c.pos + length);
    c.pos += length;
  }
  c.end('data');
  return { type: FRAME_DATA, ack, firstSeq, messages };
}
