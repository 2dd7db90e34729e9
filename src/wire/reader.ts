// The decoder's input: a cursor over untrusted bytes with bounds-checked primitive readers. Every
// length is checked against the bytes left (and the caller's limits) before anything is
// allocated for it; every failure is an EntangleError with a stable code.

import { EntangleError, type EntangleErrorCode } from '../errors.ts';
import { uninitializedBytes } from '../util/uninitialized.ts';

let src: Uint8Array = new Uint8Array(0);
/** Next byte to read, and one past the last. */
export let pos = 0;
export let end = 0;

/** ignoreBOM: a string may begin with U+FEFF, which the default decoder would strip. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const fromCharCode = String.fromCharCode as (...codes: number[]) => string;
const applyFromCharCode = (codes: ArrayLike<number>): string => fromCharCode.apply(null, codes as number[]);
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function open(bytes: Uint8Array): void {
  src = bytes;
  pos = 0;
  end = bytes.length;
}

export function close(): void {
  src = EMPTY_BYTES;
}
const EMPTY_BYTES = new Uint8Array(0);

export function wireError(code: EntangleErrorCode, message: string, cause?: unknown): EntangleError {
  return cause === undefined ? new EntangleError(code, message) : new EntangleError(code, message, { cause });
}

export function truncated(): EntangleError {
  return wireError('ENTANGLE_WIRE_TRUNCATED', `Wire message truncated at byte ${pos} of ${end}.`);
}

export function malformed(what: string): EntangleError {
  return wireError('ENTANGLE_WIRE_MALFORMED', `Malformed wire message at byte ${pos}: ${what}.`);
}

export function limit(what: string): EntangleError {
  return wireError('ENTANGLE_WIRE_LIMIT', `Wire message exceeds a limit: ${what}.`);
}

export function remaining(): number {
  return end - pos;
}

export function readByte(): number {
  if (pos >= end) throw truncated();
  return src[pos++] as number;
}

/** The next byte without reading it, or −1 at the end. */
export function peekByte(): number {
  return pos < end ? (src[pos] as number) : -1;
}

/** Skips `n` bytes already known to be there. */
export function skip(n: number): void {
  pos += n;
}

/** `n` bytes as a view into the input (for a caller that copies them). */
export function readBytes(n: number): Uint8Array {
  if (n > end - pos) throw truncated();
  const bytes = src.subarray(pos, pos + n);
  pos += n;
  return bytes;
}

/** Unsigned LEB128 up to 2^53 − 1 (at most 8 bytes). */
export function readVarint(): number {
  if (pos >= end) throw truncated();
  let b = src[pos++] as number;
  if (b < 0x80) return b;
  let result = b & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < 8; i++) {
    if (pos >= end) throw truncated();
    b = src[pos++] as number;
    result += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (result > Number.MAX_SAFE_INTEGER) throw malformed('varint above 2^53 - 1');
      return result;
    }
    scale *= 0x80;
  }
  throw malformed('varint longer than 8 bytes');
}

/** A count of items that each take at least `minBytes` bytes: checked against the bytes left. */
export function readCount(minBytes: number): number {
  const n = readVarint();
  if (n * minBytes > end - pos) throw truncated();
  return n;
}

export function readFloat64(): number {
  if (pos + 8 > end) throw truncated();
  if (littleEndian) for (let i = 0; i < 8; i++) scratchBytes[i] = src[pos + i] as number;
  else for (let i = 0; i < 8; i++) scratchBytes[7 - i] = src[pos + i] as number;
  pos += 8;
  return scratch[0] as number;
}

/** `n` bytes, copied into a new ArrayBuffer (decoded values never alias the input). */
export function readBuffer(n: number, maxByteLength?: number): ArrayBuffer {
  if (n > end - pos) throw truncated();
  if (maxByteLength === undefined) {
    // Every byte is overwritten at once: no need to zero them first.
    const bytes = uninitializedBytes(n);
    bytes.set(src.subarray(pos, pos + n));
    pos += n;
    return bytes.buffer;
  }
  const buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(n, { maxByteLength });
  new Uint8Array(buffer).set(src.subarray(pos, pos + n));
  pos += n;
  return buffer;
}

export function readBytesCopy(n: number): Uint8Array {
  if (n > end - pos) throw truncated();
  const copy = src.slice(pos, pos + n);
  pos += n;
  return copy;
}

/** A UTF-8 string payload of `n` bytes (ASCII by hand, the rest by TextDecoder). */
export function readUtf8(n: number, maxLength: number): string {
  if (n > maxLength) throw limit(`string of ${n} bytes (maxStringLength ${maxLength})`);
  if (n > end - pos) throw truncated();
  const from = pos;
  if (n <= 24) {
    let or = 0;
    for (let i = from; i < from + n; i++) or |= src[i] as number;
    if (or < 0x80) {
      pos += n;
      return shortAscii(from, n);
    }
  }
  pos += n;
  return utf8.decode(src.subarray(from, from + n));
}

/** Keys of at most this many ASCII bytes go through the key cache. */
const CACHED_KEY_BYTES = 16;
const KEY_CACHE_SLOTS = 4096;
/**
 * Short ASCII keys by a hash of their bytes, across messages: a key seen before comes back as the
 * same string, which the engine has already internalized (a fresh string costs more as a property
 * key than it costs to make). Bounded; bytes that collide only replace the slot.
 */
const keyCache: (string | undefined)[] = new Array<string | undefined>(KEY_CACHE_SLOTS).fill(undefined);

/** A property key's UTF-8 payload of `n` bytes (short ASCII keys from the key cache). */
export function readKeyUtf8(n: number, maxLength: number): string {
  if (n > CACHED_KEY_BYTES || n > maxLength || n > end - pos) return readUtf8(n, maxLength);
  const from = pos;
  let hash = n;
  let or = 0;
  for (let i = from; i < from + n; i++) {
    const b = src[i] as number;
    or |= b;
    hash = (Math.imul(hash, 31) + b) | 0;
  }
  if (or >= 0x80) return readUtf8(n, maxLength);
  const slot = hash & (KEY_CACHE_SLOTS - 1);
  const cached = keyCache[slot];
  pos += n;
  if (cached !== undefined && cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === src[from + i]) i++;
    if (i === n) return cached;
  }
  const key = shortAscii(from, n);
  keyCache[slot] = key;
  return key;
}

function shortAscii(p: number, n: number): string {
  const s = src;
  switch (n) {
    case 0: return '';
    case 1: return fromCharCode(s[p] as number);
    case 2: return fromCharCode(s[p] as number, s[p + 1] as number);
    case 3: return fromCharCode(s[p] as number, s[p + 1] as number, s[p + 2] as number);
    case 4: return fromCharCode(s[p] as number, s[p + 1] as number, s[p + 2] as number, s[p + 3] as number);
    case 5: return fromCharCode(s[p] as number, s[p + 1] as number, s[p + 2] as number, s[p + 3] as number, s[p + 4] as number);
    case 6: return fromCharCode(s[p] as number, s[p + 1] as number, s[p + 2] as number, s[p + 3] as number, s[p + 4] as number,
      s[p + 5] as number);
    case 7: return fromCharCode(s[p] as number, s[p + 1] as number, s[p + 2] as number, s[p + 3] as number, s[p + 4] as number,
      s[p + 5] as number, s[p + 6] as number);
    case 8: return fromCharCode(s[p] as number, s[p + 1] as number, s[p + 2] as number, s[p + 3] as number, s[p + 4] as number,
      s[p + 5] as number, s[p + 6] as number, s[p + 7] as number);
    // Longer: two halves (a short cons string), cheaper than apply() up to the 24 bytes that get here.
    default: return shortAscii(p, 8) + shortAscii(p + 8, n - 8);
  }
}

/** A UTF-16 payload of `units` code units (any string, lone surrogates included). */
export function readUtf16(units: number, maxLength: number): string {
  if (units * 2 > maxLength) throw limit(`string of ${units * 2} bytes (maxStringLength ${maxLength})`);
  if (units * 2 > end - pos) throw truncated();
  const CHUNK = 4096;
  const codes = new Uint16Array(Math.min(units, CHUNK));
  let out = '';
  for (let done = 0; done < units; ) {
    const count = Math.min(CHUNK, units - done);
    for (let i = 0; i < count; i++) {
      codes[i] = (src[pos] as number) | ((src[pos + 1] as number) << 8);
      pos += 2;
    }
    out += applyFromCharCode(count === codes.length ? codes : codes.subarray(0, count));
    done += count;
  }
  return out;
}

/** A BigInt magnitude of `n` little-endian bytes. */
export function readBigIntMagnitude(n: number): bigint {
  if (n > end - pos) throw truncated();
  if (n === 0) return 0n;
  if (n <= 6) {
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + (src[pos + i] as number);
    pos += n;
    return BigInt(value);
  }
  let hex = '';
  for (let i = n - 1; i >= 0; i--) hex += HEX[src[pos + i] as number];
  pos += n;
  return BigInt(`0x${hex}`);
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
