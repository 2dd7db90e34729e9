// Decoding: bytes to clone records, for structuredDeserialize to turn into values (one source of
// truth for the spec's semantics). The bytes are hostile: every count and length is checked
// against the bytes left and the limits before it is used, nesting is walked with an explicit
// stack bounded by maxDepth, references must point backwards to finished slots, and the records
// produced are well-formed enough that deserializing them cannot throw an engine error (RegExp
// syntax, view bounds, array "length" keys are checked here). Layouts: docs/protocol.md.

import type { ErrorName, ObjectRecord, PropertyRecord, Serialized } from '../clone/records.ts';
import type { WireLimits } from './limits.ts';
import { ErrorFlag, ERROR_NAMES, HolderKind, Tag, VIEW_CONSTRUCTORS, VIEW_ELEMENT_SIZES, WIRE_VERSION } from './tags.ts';
import {
  close, end, limit, malformed, open, pos, readBigIntMagnitude, readBuffer, readByte, readBytesCopy, readCount, readFloat64,
  readUtf16, readUtf8, readVarint, truncated, wireError,
} from './reader.ts';

/** A holder as read from the holder table; platform state is still bytes for the routing layer. */
export type DecodedHolder =
  | { readonly type: 'ArrayBuffer'; readonly data: ArrayBuffer }
  | { readonly type: 'ResizableArrayBuffer'; readonly data: ArrayBuffer; readonly maxByteLength: number }
  | { readonly type: 'platform'; readonly interfaceName: string; readonly bytes: Uint8Array };

export interface DecodedMessage {
  readonly serialized: Serialized;
  readonly holders: readonly DecodedHolder[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type ErrorRecord = Mutable<Extract<ObjectRecord, { type: 'Error' }>>;
type BufferRecord = Extract<ObjectRecord, { type: 'ArrayBuffer' | 'ResizableArrayBuffer' | 'Transferred' }>;

const Fill = { Properties: 0, Elements: 1, ArrayProperties: 2, Values: 3, Cause: 4 } as const;
type Fill = (typeof Fill)[keyof typeof Fill];

/** A record whose children are being read. */
interface Frame {
  fill: Fill;
  list: unknown[];
  remaining: number;
  /** Elements: the next index; ArrayProperties: the array's length. */
  index: number;
  /** Elements: how many extra properties follow the elements. */
  extra: number;
  error: ErrorRecord | null;
}

// One decode's state (module-level for speed; decode runs no foreign code, so it is never re-entered).
let limits: WireLimits;
let elements = 0;
let resizableBytes = 0;
let depth = 0;
/** The most frames this message has used. */
let deepest = 0;
const frames: Frame[] = [];
/** Object index → record; null while the record is being built (a view waiting for its buffer). */
const objects: (ObjectRecord | null)[] = [];
const keys: string[] = [];
let holders: DecodedHolder[] = [];

/** Decodes a whole message; the platform holders' bytes are returned for the caller to interpret. */
export function decodeMessage(bytes: Uint8Array, messageLimits: WireLimits): DecodedMessage {
  if (bytes.length > messageLimits.maxBytes) throw limit(`message of ${bytes.length} bytes (maxBytes ${messageLimits.maxBytes})`);
  limits = messageLimits;
  elements = 0;
  resizableBytes = 0;
  depth = 0;
  open(bytes);
  try {
    const version = readByte();
    if (version !== WIRE_VERSION) {
      throw wireError('ENTANGLE_WIRE_VERSION', `Unsupported wire version ${version} (this decoder reads ${WIRE_VERSION}).`);
    }
    holders = readHolders();
    const serialized = readRoot();
    if (pos !== end) throw malformed(`${end - pos} bytes after the value`);
    return { serialized, holders };
  } finally {
    close();
    objects.length = 0;
    keys.length = 0;
    holders = [];
    // Frames used by this message only (frames.length keeps the deepest message ever seen).
    for (let i = 0; i < deepest; i++) {
      const frame = frames[i] as Frame;
      frame.list = NO_LIST;
      frame.error = null;
    }
    depth = 0;
    deepest = 0;
  }
}

const NO_LIST: unknown[] = [];

function readHolders(): DecodedHolder[] {
  const count = readCount(2);
  if (count === 0) return [];
  if (count > limits.maxTransferables) throw limit(`${count} transferables (maxTransferables ${limits.maxTransferables})`);
  const list: DecodedHolder[] = [];
  for (let i = 0; i < count; i++) {
    const kind = readByte();
    switch (kind) {
      case HolderKind.ArrayBuffer:
        list.push({ type: 'ArrayBuffer', data: readBuffer(readVarint()) });
        break;
      case HolderKind.ResizableArrayBuffer: {
        const length = readVarint();
        const maxByteLength = readMaxByteLength(length);
        list.push({ type: 'ResizableArrayBuffer', data: readBuffer(length, maxByteLength), maxByteLength });
        break;
      }
      case HolderKind.Platform: {
        const interfaceName = readString(readByte());
        list.push({ type: 'platform', interfaceName, bytes: readBytesCopy(readVarint()) });
        break;
      }
      default:
        throw malformed(`unknown holder kind ${kind}`);
    }
  }
  return list;
}

function readMaxByteLength(length: number): number {
  const maxByteLength = readVarint();
  if (maxByteLength < length) throw malformed('maxByteLength below byteLength');
  if (length > end - pos) throw truncated();
  resizableBytes += maxByteLength;
  if (resizableBytes > limits.maxResizableByteLength) {
    throw limit(`resizable buffers of ${resizableBytes} bytes in all (maxResizableByteLength ${limits.maxResizableByteLength})`);
  }
  return maxByteLength;
}

function push(fill: Fill, list: unknown[], remaining: number, index: number, extra: number, error: ErrorRecord | null): void {
  if (depth >= limits.maxDepth) throw limit(`nesting deeper than maxDepth ${limits.maxDepth}`);
  const frame = frames[depth];
  if (frame === undefined) {
    frames[depth] = { fill, list, remaining, index, extra, error };
  } else {
    frame.fill = fill;
    frame.list = list;
    frame.remaining = remaining;
    frame.index = index;
    frame.extra = extra;
    frame.error = error;
  }
  depth++;
  if (depth > deepest) deepest = depth;
}

function readRoot(): Serialized {
  const root = readValue();
  while (depth > 0) {
    const frame = frames[depth - 1] as Frame;
    if (frame.remaining === 0) {
      if (frame.fill === Fill.Elements && frame.extra > 0) {
        frame.fill = Fill.ArrayProperties;
        frame.remaining = frame.extra;
        frame.extra = 0;
        continue;
      }
      depth--;
      continue;
    }
    frame.remaining--;
    switch (frame.fill) {
      case Fill.Properties: {
        const key = readKey();
        frame.list.push([key, readValue()]);
        break;
      }
      case Fill.Elements:
        frame.list.push([`${frame.index++}`, readValue()]);
        break;
      case Fill.ArrayProperties: {
        const key = readKey();
        if (key === 'length') throw malformed('an array property named "length"');
        frame.list.push([key, readValue()]);
        break;
      }
      case Fill.Values:
        frame.list.push(readValue());
        break;
      default:
        (frame.error as ErrorRecord).cause = readValue();
    }
  }
  return root;
}

function countElement(): void {
  if (++elements > limits.maxElements) throw limit(`more than maxElements ${limits.maxElements} values`);
}

/** A container's item count: at most the bytes left (each item takes `minBytes`) and within maxElements. */
function readItemCount(minBytes: number): number {
  const n = readCount(minBytes);
  if (elements + n > limits.maxElements) throw limit(`more than maxElements ${limits.maxElements} values`);
  return n;
}

/** A property key: an array index, a new string (entering the key table), or a key-table reference. */
function readKey(): string {
  const tag = readByte();
  if (tag >= Tag.FixIntFirst) return `${tag - Tag.FixIntFirst}`;
  if (tag >= Tag.FixStrFirst) {
    const key = readUtf8(tag - Tag.FixStrFirst, limits.maxStringLength);
    keys.push(key);
    return key;
  }
  switch (tag) {
    case Tag.UInt: {
      const index = readVarint();
      if (index >= 0xffffffff) throw malformed('an integer key above the largest array index');
      return `${index}`;
    }
    case Tag.StringUtf8:
    case Tag.StringUtf16: {
      const key = readString(tag);
      keys.push(key);
      return key;
    }
    case Tag.KeyRef: {
      const key = keys[readVarint()];
      if (key === undefined) throw malformed('a key reference to no key');
      return key;
    }
    default:
      throw malformed(`tag ${tag} where a property key belongs`);
  }
}

/** A string value's payload, after its tag (which must be a string tag). */
function readString(tag: number): string {
  if (tag >= Tag.FixStrFirst && tag < Tag.FixIntFirst) return readUtf8(tag - Tag.FixStrFirst, limits.maxStringLength);
  if (tag === Tag.StringUtf8) return readUtf8(readVarint(), limits.maxStringLength);
  if (tag === Tag.StringUtf16) return readUtf16(readVarint(), limits.maxStringLength);
  throw malformed(`tag ${tag} where a string belongs`);
}

function readBigInt(tag: number): bigint {
  if (tag !== Tag.BigIntPositive && tag !== Tag.BigIntNegative) throw malformed(`tag ${tag} where a BigInt belongs`);
  const n = readVarint();
  if (n * 2 > limits.maxStringLength) throw limit(`BigInt of ${n} bytes (maxStringLength ${limits.maxStringLength} / 2)`);
  const magnitude = readBigIntMagnitude(n);
  return tag === Tag.BigIntNegative ? -magnitude : magnitude;
}

function remember<T extends ObjectRecord>(record: T): T {
  objects.push(record);
  return record;
}

/** One value; a container's record is returned at once and its children pushed, to be read next. */
function readValue(): Serialized {
  countElement();
  const tag = readByte();
  if (tag >= Tag.FixStrFirst) {
    if (tag >= Tag.FixIntFirst) return tag - Tag.FixIntFirst;
    return readUtf8(tag - Tag.FixStrFirst, limits.maxStringLength);
  }
  switch (tag) {
    case Tag.Undefined: return undefined;
    case Tag.Null: return null;
    case Tag.False: return false;
    case Tag.True: return true;
    case Tag.UInt: return readVarint();
    case Tag.NegInt: return -readVarint() - 1;
    case Tag.Float64: return readFloat64();
    case Tag.BigIntPositive:
    case Tag.BigIntNegative:
      return readBigInt(tag);
    case Tag.StringUtf8:
    case Tag.StringUtf16:
      return readString(tag);
    case Tag.Object: {
      const count = readItemCount(2);
      const properties: PropertyRecord[] = [];
      const record = remember<ObjectRecord>({ type: 'Object', properties });
      if (count > 0) push(Fill.Properties, properties, count, 0, 0, null);
      return record;
    }
    case Tag.ArrayDense: {
      const length = readItemCount(1);
      const extra = readItemCount(2);
      if (length === 0 || length > 0xffffffff) throw malformed('a dense array must have 1 to 2^32 - 1 elements');
      const properties: PropertyRecord[] = [];
      const record = remember<ObjectRecord>({ type: 'Array', length, properties });
      push(Fill.Elements, properties, length, 0, extra, null);
      return record;
    }
    case Tag.ArraySparse: {
      const length = readVarint();
      if (length > 0xffffffff) throw malformed('an array length above 2^32 - 1');
      const count = readItemCount(2);
      const properties: PropertyRecord[] = [];
      const record = remember<ObjectRecord>({ type: 'Array', length, properties });
      if (count > 0) push(Fill.ArrayProperties, properties, count, length, 0, null);
      return record;
    }
    case Tag.BackRef: {
      const record = objects[readVarint()];
      if (record === undefined || record === null) throw malformed('a back-reference to no finished object');
      return record;
    }
    case Tag.Date:
      return remember<ObjectRecord>({ type: 'Date', value: readFloat64() });
    case Tag.Map: {
      const count = readItemCount(2);
      const entries: Serialized[] = [];
      const record = remember<ObjectRecord>({ type: 'Map', entries });
      if (count > 0) push(Fill.Values, entries, count * 2, 0, 0, null);
      return record;
    }
    case Tag.Set: {
      const count = readItemCount(1);
      const values: Serialized[] = [];
      const record = remember<ObjectRecord>({ type: 'Set', values });
      if (count > 0) push(Fill.Values, values, count, 0, 0, null);
      return record;
    }
    case Tag.BooleanObject: {
      const b = readByte();
      if (b > 1) throw malformed('a Boolean object byte other than 0 or 1');
      return remember<ObjectRecord>({ type: 'Boolean', value: b === 1 });
    }
    case Tag.NumberObject:
      return remember<ObjectRecord>({ type: 'Number', value: readFloat64() });
    case Tag.BigIntObject:
      return remember<ObjectRecord>({ type: 'BigInt', value: readBigInt(readByte()) });
    case Tag.StringObject:
      return remember<ObjectRecord>({ type: 'String', value: readString(readByte()) });
    case Tag.RegExp:
      return remember(readRegExp());
    case Tag.ArrayBuffer:
    case Tag.ResizableArrayBuffer:
      return readArrayBuffer(tag);
    case Tag.ArrayBufferView:
      return readView();
    case Tag.Error:
      return readError();
    case Tag.DOMException: {
      const name = readString(readByte());
      return remember<ObjectRecord>({ type: 'DOMException', name, message: readString(readByte()) });
    }
    case Tag.Transferred:
      return remember(readTransferred());
    case Tag.Blob:
    case Tag.File:
      throw wireError('ENTANGLE_WIRE_UNSUPPORTED', 'Blob and File values are decoded by the link layer, not by decode().');
    case Tag.KeyRef:
      throw malformed('a key reference where a value belongs');
    default:
      throw wireError('ENTANGLE_WIRE_UNKNOWN_TAG', `Unknown wire tag 0x${tag.toString(16)} at byte ${pos - 1}.`);
  }
}

const RegExpCtor = RegExp;

function readRegExp(): ObjectRecord {
  const source = readString(readByte());
  const flags = readString(readByte());
  // Deserializing must not throw a SyntaxError: check the pattern here.
  try {
    new RegExpCtor(source, flags);
  } catch {
    throw malformed('an invalid RegExp');
  }
  return { type: 'RegExp', source, flags };
}

function readArrayBuffer(tag: number): BufferRecord {
  const length = readVarint();
  if (tag === Tag.ResizableArrayBuffer) {
    const maxByteLength = readMaxByteLength(length);
    return remember<BufferRecord>({ type: 'ResizableArrayBuffer', data: readBuffer(length, maxByteLength), maxByteLength });
  }
  return remember<BufferRecord>({ type: 'ArrayBuffer', data: readBuffer(length) });
}

function readTransferred(): Extract<ObjectRecord, { type: 'Transferred' }> {
  const index = readVarint();
  if (index >= holders.length) throw malformed(`transfer index ${index} of ${holders.length} holders`);
  return { type: 'Transferred', index };
}

function readView(): ObjectRecord {
  const slot = objects.length;
  objects.push(null);
  const ctor = readByte();
  const constructor = VIEW_CONSTRUCTORS[ctor];
  const elementSize = VIEW_ELEMENT_SIZES[ctor];
  if (constructor === undefined || elementSize === undefined) throw malformed(`unknown view constructor ${ctor}`);
  const byteOffset = readVarint();
  const lengthPlusOne = readVarint();
  const length = lengthPlusOne === 0 ? null : lengthPlusOne - 1;
  // The buffer: a new one, a back-reference to one, or a transferred one; never a container.
  const tag = readByte();
  let buffer: BufferRecord;
  if (tag === Tag.ArrayBuffer || tag === Tag.ResizableArrayBuffer) {
    countElement();
    buffer = readArrayBuffer(tag);
  } else if (tag === Tag.BackRef) {
    const record = objects[readVarint()];
    if (record == null || (record.type !== 'ArrayBuffer' && record.type !== 'ResizableArrayBuffer' && record.type !== 'Transferred')) {
      throw malformed('a view over something that is not a buffer');
    }
    buffer = record;
  } else if (tag === Tag.Transferred) {
    countElement();
    buffer = remember(readTransferred());
  } else {
    throw malformed(`tag ${tag} where a view's buffer belongs`);
  }
  // The view must fit its buffer, as the view constructors require.
  const target = buffer.type === 'Transferred' ? holders[buffer.index] : buffer;
  if (target === undefined || target.type === 'platform') throw malformed('a view over a transferred platform object');
  const byteLength = target.data.byteLength;
  if (byteOffset % elementSize !== 0) throw malformed('a view offset that is not a multiple of its element size');
  if (length === null) {
    if (target.type !== 'ResizableArrayBuffer') throw malformed('a length-tracking view over a fixed-length buffer');
    if (byteOffset > byteLength) throw malformed('a view outside its buffer');
  } else if (byteOffset + length * elementSize > byteLength) {
    throw malformed('a view outside its buffer');
  }
  const record: ObjectRecord = { type: 'ArrayBufferView', constructor, buffer, byteOffset, length };
  objects[slot] = record;
  return record;
}

function readError(): ObjectRecord {
  const nameByte = readByte();
  const name: ErrorName | undefined = ERROR_NAMES[nameByte];
  if (name === undefined) throw malformed(`unknown Error name ${nameByte}`);
  const flags = readByte();
  if (flags > 7) throw malformed(`Error flags ${flags}`);
  const record: ErrorRecord = { type: 'Error', name, hasCause: (flags & ErrorFlag.Cause) !== 0 };
  if ((flags & ErrorFlag.Message) !== 0) record.message = readString(readByte());
  if ((flags & ErrorFlag.Stack) !== 0) record.stack = readString(readByte());
  remember(record);
  if (record.hasCause) push(Fill.Cause, NO_LIST, 1, 0, 0, record);
  return record;
}
