// Decoding: bytes to values (decode) or to clone records (decodeWithTransfer), by one reader that
// hands what it reads to a builder (build.ts). The bytes are hostile: every count and length is
// checked against the bytes left and the limits before it is used, nesting is walked with an
// explicit stack bounded by maxDepth, references must point backwards to finished objects, and
// what a builder is given cannot make it throw an engine error (RegExp syntax, view bounds,
// array "length" keys and array indices at or past the length are checked here).
// Layouts: docs/protocol.md.

import type { ErrorName, TypedArrayName } from '../clone/records.ts';
import type { Builder } from './build.ts';
import type { WireLimits } from './limits.ts';
import {
  arrayIndexOf, ErrorFlag, ERROR_NAMES, HolderKind, Tag, VIEW_CONSTRUCTORS, VIEW_ELEMENT_SIZES, WIRE_VERSION,
} from './tags.ts';
import {
  close, end, limit, malformed, open, peekByte, pos, readBigIntMagnitude, readBuffer, readByte, readBytes, readBytesCopy, readCount,
  readFloat64, readKeyUtf8, readUtf16, readUtf8, readVarint, skip, truncated, wireError,
} from './reader.ts';

/** A holder as read from the holder table; platform state is still bytes for the routing layer. */
export type DecodedHolder =
  | { readonly type: 'ArrayBuffer'; readonly data: ArrayBuffer }
  | { readonly type: 'ResizableArrayBuffer'; readonly data: ArrayBuffer; readonly maxByteLength: number }
  | { readonly type: 'platform'; readonly interfaceName: string; readonly bytes: Uint8Array };


const Fill = { Properties: 0, Elements: 1, DenseExtras: 2, SparseProperties: 3, MapEntries: 4, SetValues: 5, Cause: 6 } as const;
type Fill = (typeof Fill)[keyof typeof Fill];

/** A container whose items are being read. */
class Frame {
  fill: Fill = Fill.Properties;
  target: unknown = null;
  remaining = 0;
  /** Elements: the next index; SparseProperties, DenseExtras: the array's length. */
  index = 0;
  /** Elements: how many extra properties follow the elements. */
  extra = 0;
  /** MapEntries: the key read, waiting for its value. */
  key: unknown = undefined;
}

/** A buffer that a view may be over: its byte length and whether it is resizable. */
interface BufferShape {
  readonly byteLength: number;
  readonly resizable: boolean;
}

// One decode's state (module-level for speed; building runs no user code, so it is never re-entered).
let builder: Builder<unknown>;
let limits: WireLimits;
let elements = 0;
let resizableBytes = 0;
let depth = 0;
/** The most frames this message has used. */
let deepest = 0;
const frames: Frame[] = [];
/** Object index → what the builder made; IN_PROGRESS while a view waits for its buffer. Entries from objectCount on are stale. */
const objects: unknown[] = [];
let objectCount = 0;
const IN_PROGRESS = Object.freeze({});
/** Object index → shape, for the buffers (and transferred values) of this message. */
const buffers = new Map<number, BufferShape | null>();
/** The key table; entries from keyCount on are stale. */
const keys: string[] = [];
let keyCount = 0;
const NO_HOLDERS: readonly DecodedHolder[] = Object.freeze([]);
let holders: readonly DecodedHolder[] = NO_HOLDERS;
/** What readKey read: the key table index of a string key (−1 for others), and an integer key's value. */
let keyId = -1;
let keyNumber = 0;

/**
 * Decodes a whole message with `messageBuilder`. With `withHolders`, the holder table (platform
 * holders' bytes still to be interpreted by the caller) goes to `holdersOut`; without, a message
 * that carries holders is malformed.
 */
export function decodeMessage<V>(
  bytes: Uint8Array, messageLimits: WireLimits, messageBuilder: Builder<V>, holdersOut?: DecodedHolder[],
): unknown {
  if (bytes.length > messageLimits.maxBytes) throw limit(`message of ${bytes.length} bytes (maxBytes ${messageLimits.maxBytes})`);
  builder = messageBuilder as Builder<unknown>;
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
    if (holders.length > 0) {
      if (holdersOut === undefined) {
        throw wireError('ENTANGLE_WIRE_MALFORMED', 'The message carries transferred values: it needs decodeWithTransfer().');
      }
      holdersOut.push(...holders);
    }
    builder.begin();
    const value = readValue();
    if (pos !== end) throw malformed(`${end - pos} bytes after the value`);
    return value;
  } finally {
    close();
    // Keep no reference to this message's values (resetting the arrays' lengths costs more).
    for (let i = 0; i < objectCount; i++) objects[i] = undefined;
    objectCount = 0;
    keyCount = 0;
    if (buffers.size > 0) buffers.clear();
    holders = NO_HOLDERS;
    // Frames used by this message only (frames.length keeps the deepest message ever seen).
    for (let i = 0; i < deepest; i++) {
      const frame = frames[i] as Frame;
      frame.target = null;
      frame.key = undefined;
    }
    depth = 0;
    deepest = 0;
    recursion = 0;
    draining = false;
  }
}

function readHolders(): readonly DecodedHolder[] {
  const count = readCount(2);
  if (count === 0) return NO_HOLDERS;
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

/**
 * Nesting levels filled by recursion (a few frames each) before switching to the explicit stack,
 * as the serializer does (src/clone/serialize.ts): recursion reads each container's items in a
 * tight loop; the explicit stack keeps hostile nesting (up to maxDepth) off the call stack.
 */
const RECURSION_LIMIT = 64;
/** Containers being filled by recursion right now. */
let recursion = 0;
/** Whether the explicit stack is being drained (a new container then waits on it). */
let draining = false;

/**
 * A container whose `remaining` items follow: filled right here (by recursion, or by draining
 * the explicit stack from here), or, while the stack drains, left on it to be filled next.
 */
function push(fill: Fill, target: unknown, remaining: number, index: number, extra: number): void {
  if (depth >= limits.maxDepth) throw limit(`nesting deeper than maxDepth ${limits.maxDepth}`);
  let frame = frames[depth];
  if (frame === undefined) frames[depth] = frame = new Frame();
  frame.fill = fill;
  frame.target = target;
  frame.remaining = remaining;
  frame.index = index;
  frame.extra = extra;
  depth++;
  if (depth > deepest) deepest = depth;
  if (draining) return;
  if (recursion < RECURSION_LIMIT) {
    recursion++;
    fillFrame(frame); // completes: nothing below it drains
    recursion--;
    depth--;
    return;
  }
  draining = true;
  const base = depth - 1;
  while (depth > base) if (fillFrame(frames[depth - 1] as Frame)) depth--;
  draining = false;
}

/** Reads a container's items: true when done, false when it stopped for a child left on the explicit stack. */
function fillFrame(frame: Frame): boolean {
  switch (frame.fill) {
    case Fill.Properties: return fillProperties(frame);
    case Fill.Elements: return fillElements(frame);
    case Fill.DenseExtras:
    case Fill.SparseProperties:
      return fillArrayProperties(frame);
    case Fill.MapEntries: return fillMapEntries(frame);
    case Fill.SetValues: return fillSetValues(frame);
    default: return fillCause(frame);
  }
}

function fillProperties(frame: Frame): boolean {
  const { target } = frame;
  const level = depth;
  for (let remaining = frame.remaining; remaining > 0; ) {
    remaining--;
    const key = readKey();
    builder.property(target, key ?? `${keyNumber}`, keyId, readValue());
    if (depth !== level) {
      frame.remaining = remaining;
      return false;
    }
  }
  frame.remaining = 0;
  return true;
}

/** A dense array's elements (a value or a hole each), then its extra properties. */
function fillElements(frame: Frame): boolean {
  const { target } = frame;
  const level = depth;
  let { index } = frame;
  for (let remaining = frame.remaining; remaining > 0; ) {
    remaining--;
    if (peekByte() === Tag.Hole) {
      countElement();
      skip(1);
      index++;
      continue;
    }
    builder.element(target, index++, readValue());
    if (depth !== level) {
      frame.remaining = remaining;
      frame.index = index;
      return false;
    }
  }
  frame.remaining = 0;
  frame.index = index;
  if (frame.extra === 0) return true;
  // `index` is now the array's length.
  frame.fill = Fill.DenseExtras;
  frame.remaining = frame.extra;
  frame.extra = 0;
  return fillArrayProperties(frame);
}

/**
 * Properties of an array (sparse, or a dense array's extras). An index at or past the length
 * could never come from an array (and would change its length), nor "length" itself; a dense
 * array's extras hold no index at all (its elements came before).
 */
function fillArrayProperties(frame: Frame): boolean {
  const { target } = frame;
  const level = depth;
  while (frame.remaining > 0) {
    frame.remaining--;
    const key = readKey();
    const index = key === null ? keyNumber : arrayIndexOf(key);
    if (index >= 0) {
      if (frame.fill === Fill.DenseExtras) throw malformed('an array index among the extra properties of a dense array');
      if (index >= frame.index) throw malformed(`array index ${index} at or past the array's length ${frame.index}`);
      builder.element(target, index, readValue());
    } else {
      if (key === 'length') throw malformed('an array property named "length"');
      builder.arrayProperty(target, key as string, keyId, readValue());
    }
    if (depth !== level) return false;
  }
  return true;
}

/** Key, then value: `remaining` counts both, so an odd count left means a key is next. */
function fillMapEntries(frame: Frame): boolean {
  const { target } = frame;
  const level = depth;
  while (frame.remaining > 0) {
    frame.remaining--;
    if (frame.remaining % 2 === 1) {
      frame.key = readValue();
    } else {
      builder.mapEntry(target, frame.key, readValue());
      frame.key = undefined;
    }
    if (depth !== level) return false;
  }
  return true;
}

function fillSetValues(frame: Frame): boolean {
  const { target } = frame;
  const level = depth;
  while (frame.remaining > 0) {
    frame.remaining--;
    builder.setValue(target, readValue());
    if (depth !== level) return false;
  }
  return true;
}

function fillCause(frame: Frame): boolean {
  if (frame.remaining === 0) return true;
  frame.remaining = 0;
  const level = depth;
  builder.errorCause(frame.target, readValue());
  return depth === level;
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

/**
 * A property key: a string (new, entering the key table, or a key-table reference; keyId is its
 * index there), or an integer key, returned as null with its value in keyNumber.
 */
function readKey(): string | null {
  const tag = readByte();
  if (tag >= Tag.FixIntFirst) {
    keyNumber = tag - Tag.FixIntFirst;
    keyId = -1;
    return null;
  }
  let key: string;
  if (tag >= Tag.FixStrFirst) {
    key = readKeyUtf8(tag - Tag.FixStrFirst, limits.maxStringLength);
  } else {
    switch (tag) {
      case Tag.UInt: {
        const index = readVarint();
        if (index >= 0xffffffff) throw malformed('an integer key above the largest array index');
        keyNumber = index;
        keyId = -1;
        return null;
      }
      case Tag.StringUtf8:
      case Tag.StringUtf16:
        key = readString(tag);
        break;
      case Tag.KeyRef: {
        const id = readVarint();
        const known = id < keyCount ? keys[id] : undefined;
        if (known === undefined) throw malformed('a key reference to no key');
        keyId = id;
        return known;
      }
      default:
        throw malformed(`tag ${tag} where a property key belongs`);
    }
  }
  keyId = keyCount;
  keys[keyCount++] = key;
  return key;
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

/** An object takes the next object index. */
function remember(value: unknown): unknown {
  objects[objectCount++] = value;
  return value;
}

/** One value; a container is returned at once and its items pushed, to be read next. */
function readValue(): unknown {
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
      const object = remember(builder.object());
      if (count > 0) push(Fill.Properties, object, count, 0, 0);
      return object;
    }
    case Tag.ArrayDense: {
      const length = readItemCount(1);
      const extra = readItemCount(2);
      if (length === 0 || length > 0xffffffff) throw malformed('a dense array must have 1 to 2^32 - 1 elements');
      const array = remember(builder.array(length));
      push(Fill.Elements, array, length, 0, extra);
      return array;
    }
    case Tag.ArraySparse: {
      const length = readVarint();
      if (length > 0xffffffff) throw malformed('an array length above 2^32 - 1');
      const count = readItemCount(2);
      const array = remember(builder.array(length));
      if (count > 0) push(Fill.SparseProperties, array, count, length, 0);
      return array;
    }
    case Tag.BackRef: {
      const index = readVarint();
      const known = index < objectCount ? objects[index] : undefined;
      if (known === undefined || known === IN_PROGRESS) throw malformed('a back-reference to no finished object');
      return known;
    }
    case Tag.Date:
      return remember(builder.date(readFloat64()));
    case Tag.Map: {
      const count = readItemCount(2);
      const map = remember(builder.map());
      if (count > 0) push(Fill.MapEntries, map, count * 2, 0, 0);
      return map;
    }
    case Tag.Set: {
      const count = readItemCount(1);
      const set = remember(builder.set());
      if (count > 0) push(Fill.SetValues, set, count, 0, 0);
      return set;
    }
    case Tag.BooleanObject: {
      const b = readByte();
      if (b > 1) throw malformed('a Boolean object byte other than 0 or 1');
      return remember(builder.wrapper(b === 1));
    }
    case Tag.NumberObject:
      return remember(builder.wrapper(readFloat64()));
    case Tag.BigIntObject:
      return remember(builder.wrapper(readBigInt(readByte())));
    case Tag.StringObject:
      return remember(builder.wrapper(readString(readByte())));
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
      return remember(builder.domException(name, readString(readByte())));
    }
    case Tag.Transferred:
      return readTransferred();
    case Tag.Blob:
    case Tag.File:
      return remember(readBlob(tag));
    case Tag.KeyRef:
      throw malformed('a key reference where a value belongs');
    case Tag.Hole:
      throw malformed('a hole outside a dense array');
    default:
      throw wireError('ENTANGLE_WIRE_UNKNOWN_TAG', `Unknown wire tag 0x${tag.toString(16)} at byte ${pos - 1}.`);
  }
}

function readRegExp(): unknown {
  const source = readString(readByte());
  const flags = readString(readByte());
  try {
    return builder.regExp(source, flags);
  } catch {
    throw malformed('an invalid RegExp');
  }
}

function readArrayBuffer(tag: number): unknown {
  const byteLength = readVarint();
  const index = objectCount;
  let buffer: unknown;
  if (tag === Tag.ResizableArrayBuffer) {
    const maxByteLength = readMaxByteLength(byteLength);
    buffer = builder.resizableArrayBuffer(readBuffer(byteLength, maxByteLength), maxByteLength);
  } else {
    buffer = builder.arrayBuffer(readBuffer(byteLength));
  }
  buffers.set(index, { byteLength, resizable: tag === Tag.ResizableArrayBuffer });
  return remember(buffer);
}

function readTransferred(): unknown {
  const holderIndex = readVarint();
  const holder = holders[holderIndex];
  if (holder === undefined) throw malformed(`transfer index ${holderIndex} of ${holders.length} holders`);
  // A transferred ArrayBuffer may be a view's buffer; a platform object may not.
  buffers.set(objectCount, holder.type === 'platform' ? null : {
    byteLength: holder.data.byteLength, resizable: holder.type === 'ResizableArrayBuffer',
  });
  return remember(builder.transferred(holderIndex));
}

function readView(): unknown {
  const slot = objectCount;
  remember(IN_PROGRESS);
  const ctor = readByte();
  const constructor: TypedArrayName | 'DataView' | undefined = VIEW_CONSTRUCTORS[ctor];
  const elementSize = VIEW_ELEMENT_SIZES[ctor];
  if (constructor === undefined || elementSize === undefined) throw malformed(`unknown view constructor ${ctor}`);
  const byteOffset = readVarint();
  const lengthPlusOne = readVarint();
  const length = lengthPlusOne === 0 ? null : lengthPlusOne - 1;
  // The buffer: a new one, a back-reference to one, or a transferred one; never a container.
  const tag = readByte();
  let bufferIndex: number;
  if (tag === Tag.ArrayBuffer || tag === Tag.ResizableArrayBuffer) {
    countElement();
    bufferIndex = objectCount;
    readArrayBuffer(tag);
  } else if (tag === Tag.BackRef) {
    bufferIndex = readVarint();
  } else if (tag === Tag.Transferred) {
    countElement();
    bufferIndex = objectCount;
    readTransferred();
  } else {
    throw malformed(`tag ${tag} where a view's buffer belongs`);
  }
  const shape = buffers.get(bufferIndex);
  if (shape === undefined) throw malformed('a view over something that is not a buffer');
  if (shape === null) throw malformed('a view over a transferred platform object');
  // The view must fit its buffer, as the view constructors require.
  if (byteOffset % elementSize !== 0) throw malformed('a view offset that is not a multiple of its element size');
  if (length === null) {
    if (!shape.resizable) throw malformed('a length-tracking view over a fixed-length buffer');
    if (byteOffset > shape.byteLength) throw malformed('a view outside its buffer');
  } else if (byteOffset + length * elementSize > shape.byteLength) {
    throw malformed('a view outside its buffer');
  }
  const view = builder.view(constructor, objects[bufferIndex], byteOffset, length);
  objects[slot] = view;
  return view;
}

function readError(): unknown {
  const nameByte = readByte();
  const name: ErrorName | undefined = ERROR_NAMES[nameByte];
  if (name === undefined) throw malformed(`unknown Error name ${nameByte}`);
  const flags = readByte();
  if (flags > 7) throw malformed(`Error flags ${flags}`);
  const message = (flags & ErrorFlag.Message) !== 0 ? readString(readByte()) : undefined;
  const stack = (flags & ErrorFlag.Stack) !== 0 ? readString(readByte()) : undefined;
  const hasCause = (flags & ErrorFlag.Cause) !== 0;
  const error = remember(builder.error(name, message, stack, hasCause));
  if (hasCause) push(Fill.Cause, error, 1, 0, 0);
  return error;
}

/** Blob: str type, varint size, bytes; File: the same, then str name, f64 lastModified. */
function readBlob(tag: number): unknown {
  const type = readString(readByte());
  const bytes = readBytes(readVarint());
  if (tag === Tag.Blob) return builder.blob(bytes, type);
  const name = readString(readByte());
  return builder.file(bytes, type, name, readFloat64());
}
