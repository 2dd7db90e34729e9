// The wire properties shared by fuzz.test.ts (bounded) and fuzz.ts (long-running):
// 1. exact: decode(encode(v)) equals structuredClone(v) for generated values (test/clone's arbitraries);
// 2. with transfer: the routing API round-trips transferred ArrayBuffers like structuredClone;
// 3. hostile: mutated encodings (Blob and File ones too; bit flips, truncation, 0xFF runs, duplicated segments, random
//    bytes, huge length claims) decode to a value or throw an EntangleError with a wire code, never
//    anything else, and leave Object.prototype and Array.prototype untouched.

import fc from 'fast-check';
import {
  structuredDeserializeWithTransfer, structuredSerializeWithTransfer,
} from '../../src/clone/index.ts';
import { decode, decodeWithTransfer, encode, encodeWithTransfer, encodeWithTransferAsync, EntangleError } from '../../src/wire.ts';
import { buildTransfer, cloneableArb, cloneDifference, type TransferRecipe } from '../clone/differential-lib.ts';

export const WIRE_CODES: ReadonlySet<string> = new Set([
  'ENTANGLE_WIRE_TRUNCATED', 'ENTANGLE_WIRE_UNKNOWN_TAG', 'ENTANGLE_WIRE_LIMIT', 'ENTANGLE_WIRE_VERSION',
  'ENTANGLE_WIRE_MALFORMED', 'ENTANGLE_WIRE_UNSUPPORTED',
]);

function outcome(fn: () => unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

function describe(error: unknown): string {
  return error instanceof Error || error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
}

export function wireClone(value: unknown): unknown {
  return decode(encode(value));
}

/** Property 1. */
export function checkWireRoundTrip(value: unknown): void {
  const theirs = outcome(() => structuredClone(value));
  const mine = outcome(() => wireClone(value));
  if ('error' in theirs || 'error' in mine) {
    if ('error' in theirs && 'error' in mine && (theirs.error as Error).name === (mine.error as Error).name) return;
    throw new Error(`outcomes differ: native ${'error' in theirs ? describe(theirs.error) : 'ok'}, wire ${'error' in mine ? describe(mine.error) : 'ok'}`);
  }
  const difference = cloneDifference(mine.value, theirs.value);
  if (difference !== undefined) throw new Error(`wire clone differs at ${difference}`);
}

const noPlatform = (): never => { throw new Error('no platform holders here'); };

/** Property 2. */
export function checkWireTransfer(recipe: TransferRecipe): void {
  const theirs = buildTransfer(recipe);
  const mine = buildTransfer(recipe);
  const expected = structuredClone(theirs.value, { transfer: theirs.transfer });
  const bytes = encodeWithTransfer(structuredSerializeWithTransfer(mine.value, mine.transfer), noPlatform);
  const actual = structuredDeserializeWithTransfer(decodeWithTransfer(bytes, noPlatform)).deserialized;
  const difference = cloneDifference(actual, expected);
  if (difference !== undefined) throw new Error(`wire transfer differs at ${difference}`);
}

// ---------------------------------------------------------------------------------------------
// Mutations.

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'ff'; at: number; length: number }
  | { kind: 'duplicate'; from: number; length: number; at: number }
  | { kind: 'random'; at: number; bytes: Uint8Array }
  | { kind: 'huge'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('ff' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), from: fc.nat(), length: fc.integer({ min: 1, max: 64 }), at: fc.nat() }),
  fc.record({ kind: fc.constant('random' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({
    kind: fc.constant('huge' as const),
    at: fc.nat(),
    // A varint claiming ~4 GiB or 2^53, or a maximal 8-byte one.
    bytes: fc.constantFrom(
      Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
);

export function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(input);
  for (const m of mutations) {
    const n = bytes.length;
    const at = n === 0 ? 0 : m.at % (n + 1);
    switch (m.kind) {
      case 'flip':
        if (n > 0) bytes[m.at % n] = (bytes[m.at % n] as number) ^ (1 << m.bit);
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'ff':
        bytes = concat(bytes.subarray(0, at), new Uint8Array(m.length).fill(0xff), bytes.subarray(at));
        break;
      case 'duplicate': {
        if (n === 0) break;
        const from = m.from % n;
        bytes = concat(bytes.subarray(0, at), bytes.slice(from, from + m.length), bytes.subarray(at));
        break;
      }
      case 'random':
      case 'huge':
        bytes = concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at + (m.kind === 'random' ? m.bytes.length : 0)));
        break;
      default:
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Encodable seeds for mutation: generated values that structured clone accepts. */
export const hostileArb = fc.tuple(
  cloneableArb,
  fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  fc.boolean(),
).map(([value, mutations, withTransfer]) => ({ value, mutations, withTransfer }));

/** Random bytes after a valid version byte: reaches the tag switch at once. */
export const randomBytesArb = fc.uint8Array({ maxLength: 64 }).map((tail) => Uint8Array.of(1, 0, ...tail));

function prototypeSnapshot(): string {
  return [Object.prototype, Array.prototype, Map.prototype, Set.prototype, Error.prototype]
    .map((p) => Reflect.ownKeys(p).map(String).join(',') + `|${String(Object.getPrototypeOf(p) === null)}|${Object.isExtensible(p)}`)
    .join(';');
}
const PROTOTYPES = prototypeSnapshot();

/** Property 3, for one input: a value or an EntangleError with a wire code; prototypes untouched; fast. */
export function checkHostileBytes(bytes: Uint8Array, withTransfer = false): void {
  const started = performance.now();
  try {
    if (withTransfer) {
      const message = decodeWithTransfer(bytes, (_name, state) => state);
      try {
        structuredDeserializeWithTransfer(message);
      } catch (error) {
        // The routing layer turns a DataCloneError here into messageerror (a platform interface or
        // a typed array this realm lacks); anything else would be a hole in the decoder's checks.
        const ok = (error instanceof DOMException && error.name === 'DataCloneError') || error instanceof EntangleError;
        if (!ok) throw new Error(`deserializing decoded records threw ${describe(error)}`);
      }
    } else {
      decode(bytes);
    }
  } catch (error) {
    if (!(error instanceof EntangleError) || !WIRE_CODES.has(error.code)) {
      if (error instanceof Error && error.message.startsWith('deserializing decoded records')) throw error;
      throw new Error(`decode threw ${describe(error)}${error instanceof EntangleError ? ` (${error.code})` : ''}`);
    }
  }
  if (prototypeSnapshot() !== PROTOTYPES) throw new Error('a prototype was modified');
  if (({} as Record<string, unknown>)['polluted'] !== undefined) throw new Error('Object.prototype was polluted');
  const elapsed = performance.now() - started;
  if (elapsed > 2000) throw new Error(`decode took ${elapsed.toFixed(0)} ms`);
}

export function checkHostile({ value, mutations, withTransfer }: { value: unknown; mutations: readonly Mutation[]; withTransfer: boolean }): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(value);
  } catch {
    return; // not cloneable (structured clone refuses it too): nothing to mutate
  }
  checkHostileBytes(mutate(bytes, mutations), withTransfer);
}

/** Messages holding Blobs and Files (made by the asynchronous encoder), as seeds for mutation. */
const blobSeeds: readonly Uint8Array[] = await Promise.all([
  { b: new Blob(['blob bytes'], { type: 'text/plain' }) },
  [new File([new Uint8Array([1, 2, 3, 255])], 'name.bin', { type: 'application/octet-stream', lastModified: 1234 }), 'after'],
  new Map<unknown, unknown>([['k', new Blob([])], [new File(['x'], ''), 0]]),
].map((value) => encodeWithTransferAsync(structuredSerializeWithTransfer(value, []), noPlatform)));

export const blobHostileArb = fc.tuple(fc.constantFrom(...blobSeeds), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean());

export const wireProperties = {
  roundTrip: fc.property(cloneableArb, (value) => { checkWireRoundTrip(value); }),
  hostile: fc.property(hostileArb, (input) => { checkHostile(input); }),
  blobHostile: fc.property(blobHostileArb, ([seed, mutations, withTransfer]) => { checkHostileBytes(mutate(seed, mutations), withTransfer); }),
  randomBytes: fc.property(randomBytesArb, fc.boolean(), (bytes, withTransfer) => { checkHostileBytes(bytes, withTransfer); }),
};
