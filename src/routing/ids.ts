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
// two to four ids. Bounded memory, and never worse than no cache.
const CACHE_SIZE = 512;
const toBytesCache = new Map<string, Uint8Array>();

// Bytes → id: a direct-mapped cache indexed by the id's own (random) bits, compared as four
// 32-bit words: no string is built to look an id up (a key string per lookup was a tenth of
// receiving a small message). A slot holds the id last seen there.
const SLOTS = 512;
const slotWords = new Uint32Array(SLOTS * 4);
const slotIds: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

function word(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0;
}

/** The id written in `bytes[offset … offset + 16)`. */
export function idFromBytes(bytes: Uint8Array, offset: number): string {
  const w0 = word(bytes, offset);
  const w1 = word(bytes, offset + 4);
  const w2 = word(bytes, offset + 8);
  const w3 = word(bytes, offset + 12);
  const slot = (w0 ^ w1 ^ w2 ^ w3) & (SLOTS - 1);
  const at = slot * 4;
  const cached = slotIds[slot];
  if (cached !== undefined && slotWords[at] === w0 && slotWords[at + 1] === w1 && slotWords[at + 2] === w2 && slotWords[at + 3] === w3) return cached;
  let id = '';
  for (let i = 0; i < ID_BYTES; i++) id += HEX[bytes[offset + i] as number];
  slotWords[at] = w0;
  slotWords[at + 1] = w1;
  slotWords[at + 2] = w2;
  slotWords[at + 3] = w3;
  slotIds[slot] = id;
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
