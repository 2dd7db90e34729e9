// The encoder's output: one growable byte buffer shared by all encodings, with the primitive
// writers (varints, doubles, strings, BigInts). Encoded messages are handed out as views into
// a chunk, one after the other, never overlapping (msgpackr and Node's Buffer pool do the same):
// a small message costs no allocation of its own.

import { canSkipZeroing, uninitializedBytes } from '../util/uninitialized.ts';
import { Tag } from './tags.ts';

/** Size of a fresh chunk; a chunk grown past MAX_KEPT for one big message is not reused. */
const CHUNK = 16 * 1024;
const MAX_KEPT = 256 * 1024;

let buf = new Uint8Array(CHUNK);
let view = new DataView(buf.buffer);
/** Next byte to write; `start` is where the message being written begins. */
let pos = 0;
let start = 0;
let writing = false;
/** The chunk a large write moved the message out of (growUninitialized), and where it is free from: later messages go on in it. */
let spare: Spare | null = null;

interface Spare {
  readonly buf: Uint8Array<ArrayBuffer>;
  readonly view: DataView<ArrayBuffer>;
  readonly pos: number;
}

const encoder = new TextEncoder();
const isWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

function newChunk(size: number): void {
  buf = new Uint8Array(size);
  view = new DataView(buf.buffer);
  pos = 0;
  start = 0;
}

/** Starts a message. A message begun while another is being written must suspend() it first. */
export function begin(): void {
  if (writing) throw new Error('entangle wire: nested encode');
  writing = true;
  if (buf.length > MAX_KEPT || buf.length - pos < 1024) newChunk(CHUNK);
  start = pos;
}

/** Ends the message: its bytes, as a view that later messages will not overwrite. */
export function finish(): Uint8Array {
  writing = false;
  const out = buf.subarray(start, pos);
  start = pos;
  if (spare !== null) backToSpare();
  return out;
}

/** Bytes of the message being written so far. */
export function written(): number {
  return pos - start;
}

/** Drops a message that failed half-way. */
export function abort(): void {
  writing = false;
  pos = start;
  if (spare !== null) backToSpare();
}

/** After a message that a large write moved to a buffer of its own: back to the chunk it left, unless that buffer has room for more. */
function backToSpare(): void {
  if (buf.length - pos < 1024) ({ buf, view, pos } = spare!);
  start = pos;
  spare = null;
}

/** What a nested encode (a getter that encodes while its object is being encoded) must put back. */
export interface SuspendedWriter {
  readonly buf: Uint8Array<ArrayBuffer>;
  readonly view: DataView<ArrayBuffer>;
  readonly pos: number;
  readonly start: number;
  readonly spare: Spare | null;
}

/** Sets the message being written aside, for a nested one to be written in a chunk of its own. */
export function suspend(): SuspendedWriter {
  const saved = { buf, view, pos, start, spare };
  writing = false;
  spare = null;
  newChunk(CHUNK);
  return saved;
}

/** Goes back to the message set aside (the nested one has finished or aborted). */
export function resume(saved: SuspendedWriter): void {
  ({ buf, view, pos, start, spare } = saved);
  writing = true;
}

/** Room for `n` more bytes. */
export function ensure(n: number): void {
  if (pos + n > buf.length) grow(n);
}

function grow(n: number): void {
  const used = pos - start;
  // Room for `n` and as much again as is used (amortized doubling), so that one large write (a
  // buffer's bytes) costs one allocation of about its size: a 1 MiB Float64Array is a 1 MiB
  // message, not a 2 MiB chunk (measured: the doubled chunk cost ~20 % of the round trip).
  const next = new Uint8Array(Math.max(CHUNK, used + n + Math.max(used, CHUNK)));
  next.set(buf.subarray(start, pos));
  buf = next;
  view = new DataView(buf.buffer);
  pos = used;
  start = 0;
}

export function writeByte(b: number): void {
  if (pos >= buf.length) grow(1);
  buf[pos++] = b;
}

/** Unsigned LEB128, 0 ≤ n ≤ 2^53 − 1. */
export function writeVarint(n: number): void {
  if (pos + 8 > buf.length) grow(8);
  if (n < 0x80) {
    buf[pos++] = n;
    return;
  }
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
}

/**
 * Reserves room for a count not known yet, at most `max`: the count is written now as `max` and
 * may be rewritten smaller by patchVarint. Returns the handle patchVarint takes.
 */
export function reserveVarint(max: number): number {
  const width = varintSize(max);
  // Relative to the message's start: growing the buffer moves the message.
  const at = pos - start;
  writeVarint(max);
  return at * 16 + width;
}

/** Rewrites a reserved count in the same number of bytes (a non-minimal varint when it shrank). */
export function patchVarint(handle: number, n: number): void {
  const width = handle % 16;
  let at = start + (handle - width) / 16;
  for (let i = 1; i < width; i++) {
    buf[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[at] = n;
}

export function writeTagVarint(tag: number, n: number): void {
  if (pos + 9 > buf.length) grow(9);
  buf[pos++] = tag;
  if (n < 0x80) buf[pos++] = n;
  else writeVarint(n);
}

export function writeFloat64(x: number): void {
  if (pos + 8 > buf.length) grow(8);
  view.setFloat64(pos, x, true);
  pos += 8;
}

/** A number value: a fixint, a varint integer, or a double (−0 and every non-integer). */
export function writeNumber(x: number): void {
  if (pos + 9 > buf.length) grow(9);
  if (x >>> 0 === x && (x !== 0 || 1 / x > 0)) {
    if (x < 0x80) {
      buf[pos++] = Tag.FixIntFirst + x;
    } else {
      buf[pos++] = Tag.UInt;
      writeVarint(x);
    }
  } else if ((x | 0) === x && x < 0) {
    buf[pos++] = Tag.NegInt;
    writeVarint(-x - 1);
  } else {
    buf[pos++] = Tag.Float64;
    view.setFloat64(pos, x, true);
    pos += 8;
  }
}

export function writeBytes(bytes: Uint8Array): void {
  const n = bytes.length;
  if (pos + n > buf.length) {
    if (n >= UNSAFE_FROM && canSkipZeroing) growUninitialized(n);
    else grow(n);
  }
  buf.set(bytes, pos);
  pos += n;
}

/**
 * Writes of at least this many bytes grow the chunk without zeroing it first, where the host can
 * (src/util/uninitialized.ts). Measured on the 1 MiB Float64Array, the zeroed chunk cost ~20 % of
 * the round trip; v8.serialize does not zero either.
 */
const UNSAFE_FROM = 64 * 1024;

/**
 * grow() for a write of `n` bytes that follows at once: the message moves to a buffer of its own
 * holding the message so far, then those n, then a zeroed tail (room for what follows, as much
 * again as was used), so no byte of it (reachable through a result's `buffer`) is left
 * uninitialized. The chunk it leaves is kept for the messages after it (backToSpare): a 64 KiB
 * message costs 64 KiB and a little, not a 16 KiB chunk more.
 */
function growUninitialized(n: number): void {
  const used = pos - start;
  const size = used + n + Math.max(used, LARGE_TAIL);
  const next = uninitializedBytes(size);
  next.set(buf.subarray(start, pos));
  next.fill(0, used + n);
  spare ??= { buf, view, pos: start };
  buf = next;
  view = new DataView(buf.buffer);
  pos = used;
  start = 0;
}

/** The least room left after a large write, for the rest of its message. */
const LARGE_TAIL = 256;

/** A BigInt value: sign in the tag, then the magnitude's bytes, little-endian, via hex (linear for any size). */
export function writeBigInt(value: bigint): void {
  const negative = value < 0n;
  const hex = (negative ? -value : value).toString(16);
  const count = value === 0n ? 0 : (hex.length + 1) >> 1;
  writeTagVarint(negative ? Tag.BigIntNegative : Tag.BigIntPositive, count);
  ensure(count);
  // Byte i (little-endian) is hex digits [len − 2i − 2, len − 2i).
  let end = hex.length;
  for (let i = 0; i < count; i++) {
    const from = end - 2 < 0 ? 0 : end - 2;
    buf[pos++] = parseInt(hex.slice(from, end), 16);
    end = from;
  }
}

/**
 * A string value. Well-formed strings as UTF-8 (short ones by hand, long ones by TextEncoder);
 * a string with a lone surrogate, which UTF-8 cannot carry, as UTF-16 code units.
 */
export function writeString(s: string): void {
  const n = s.length;
  // Short: at most 42 code units fit a one-byte length even at 3 bytes each (room for 2 + 3n bytes).
  if (n <= 42) {
    if (pos + 2 + n * 3 > buf.length) grow(2 + n * 3);
    // Written after a one-byte header (a FixStr tag); moved one byte on if it needs a length byte.
    let p = pos + 1;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) {
          writeUtf16(s);
          return;
        }
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
        i++;
      }
    }
    const length = p - pos - 1;
    if (length < 64) {
      buf[pos] = Tag.FixStrFirst + length;
      pos = p;
    } else {
      buf.copyWithin(pos + 2, pos + 1, p);
      buf[pos] = Tag.StringUtf8;
      buf[pos + 1] = length;
      pos = p + 1;
    }
    return;
  }
  if (!wellFormed(s)) {
    writeUtf16(s);
    return;
  }
  // Long: reserve the length field for the worst case (3 bytes per unit), encode, then close the gap.
  const max = n * 3;
  const header = varintSize(max);
  ensure(1 + header + max);
  const at = pos + 1 + header;
  const written = encoder.encodeInto(s, buf.subarray(at, at + max)).written;
  if (written < 64) {
    buf[pos++] = Tag.FixStrFirst + written;
  } else {
    buf[pos++] = Tag.StringUtf8;
    writeVarint(written);
  }
  if (pos !== at) buf.copyWithin(pos, at, at + written);
  pos += written;
}

function writeUtf16(s: string): void {
  const n = s.length;
  writeTagVarint(Tag.StringUtf16, n);
  ensure(n * 2);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    buf[pos++] = c & 0xff;
    buf[pos++] = c >> 8;
  }
}

function wellFormed(s: string): boolean {
  if (isWellFormed !== undefined) return isWellFormed.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const d = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}
