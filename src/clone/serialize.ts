// StructuredSerializeWithTransfer and StructuredSerializeInternal: a JavaScript value to records.
// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal

import { dataCloneError } from '../errors.ts';
import type {
  ErrorName, ObjectRecord, PropertyRecord, Serialized, SerializedWithTransfer, TransferDataHolder,
} from './records.ts';
import {
  BigIntPrototypeValueOf, BooleanPrototype, BooleanPrototypeValueOf, crossOriginIsolatedCapability,
  DatePrototypeGetTime, DOMExceptionMessageGetter, DOMExceptionNameGetter, getOwnPropertyDescriptor, getPrototypeOf,
  hasOwnProperty, isArray, MapPrototypeForEach, nativeStackGetter,
  nodeUtilTypes, NumberPrototype, NumberPrototypeValueOf, objectKeys, ObjectPrototype, ReflectApply, RegExpFlagGetters,
  RegExpSourceGetter, SafeMap, SetPrototypeForEach, StringPrototype, StringPrototypeValueOf,
} from './intrinsics.ts';
import { arrayBufferMaxByteLength, copyArrayBuffer, inspectView, isDetachedBuffer, isResizableArrayBuffer } from './array-buffer.ts';
import { classifyWithPrototype, describeNotSerializable, Kind } from './classify.ts';
import { isGlobalObject, isProxy } from './platform-objects.ts';
import { prepareTransferList, transferAll } from './transfer.ts';

/** The spec's memory: each object already serialized → its record (shared references, cycles). */
export type SerializeMemory = Map<object, ObjectRecord>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type ErrorRecord = Extract<ObjectRecord, { type: 'Error' }>;

const NO_HOLDERS: readonly TransferDataHolder[] = Object.freeze([]);
/** Handed to StructuredSerializeInternal for a primitive, which never touches memory. */
const UNUSED_MEMORY: SerializeMemory = new SafeMap();

/**
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializewithtransfer
 */
export function structuredSerializeWithTransfer(value: unknown, transferList: readonly object[]): SerializedWithTransfer {
  // With an empty transfer list, steps 2, 4 and 5 do nothing.
  if (transferList.length === 0) return { serialized: structuredSerialize(value), transferDataHolders: NO_HOLDERS };
  // 1. Let memory be an empty map.
  const memory: SerializeMemory = new SafeMap();
  // 2. Validate each transferable and set memory[transferable] to a placeholder; nothing is detached.
  const kinds = prepareTransferList(transferList, memory);
  // 3. Let serialized be ? StructuredSerializeInternal(value, false, memory).
  const serialized = structuredSerializeInternal(value, false, memory);
  // 4–5. Check every transferable is still attached, then transfer each into a data holder.
  const transferDataHolders = transferAll(transferList, kinds);
  // 6. Return { [[Serialized]], [[TransferDataHolders]] }.
  return { serialized, transferDataHolders };
}

/**
 * StructuredSerialize(value): a primitive allocates nothing; an object gets a fresh memory.
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserialize
 */
export function structuredSerialize(value: unknown): Serialized {
  return structuredSerializeInternal(value, false, typeof value === 'object' && value !== null ? new SafeMap() : UNUSED_MEMORY);
}

/**
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal
 *
 * Step 26 (the properties and entries) recurses, as in the spec, while nesting is shallow; past
 * RECURSION_LIMIT levels the rest of that subtree is finished with an explicit stack, in the same
 * depth-first order (getters run in the same order), so depth is bounded by memory rather than by
 * the call stack.
 */
export function structuredSerializeInternal(value: unknown, forStorage: boolean, memory: SerializeMemory): Serialized {
  if (typeof value !== 'object' || value === null) return serializePrimitive(value);
  // 2. If memory[value] exists, return it.
  const known = memory.get(value);
  if (known !== undefined) return known;
  return serializeObject(value, { memory, forStorage, recursion: 0, pending: undefined, depth: 0 });
}

/**
 * Nesting levels handled by recursion (a few frames each) before switching to the explicit stack;
 * well inside any engine's call stack, and deeper than almost any real message.
 */
const RECURSION_LIMIT = 100;

/** One serialization: the spec's memory, and how step 26 is being run. */
interface Serialization {
  readonly memory: SerializeMemory;
  readonly forStorage: boolean;
  /** Records whose step 26 is running recursively right now. */
  recursion: number;
  /** The explicit stack, while one is draining (entries at `depth` and above are stale). */
  pending: Pending[] | undefined;
  depth: number;
}

/**
 * Step 26 for one record, not done yet: the properties of an Object or Array (`keys` is the
 * EnumerableOwnProperties snapshot, the first `dense` of them array indices read by number), or
 * the copied list of a Map or Set (`keys` null), serialized in place. `next` is the next to do.
 */
interface Pending {
  readonly source: object | null;
  readonly keys: readonly string[] | null;
  readonly out: unknown[];
  readonly dense: number;
  next: number;
}

/**
 * Runs step 26 for a record now: by recursion while shallow, else on the explicit stack (which,
 * if not already draining, is drained right here, so the record is done before its parent goes on).
 */
function serializeDeep(
  serialization: Serialization, source: object | null, keys: readonly string[] | null, out: unknown[], dense: number,
): void {
  if (serialization.pending === undefined && serialization.recursion < RECURSION_LIMIT) {
    serialization.recursion++;
    if (keys === null) serializeListItems(serialization, out, 0);
    else serializeProperties(serialization, source as Record<string, unknown>, keys, out, dense, 0);
    serialization.recursion--;
    return;
  }
  const work: Pending = { source, keys, out, dense, next: 0 };
  if (serialization.pending !== undefined) {
    serialization.pending[serialization.depth++] = work;
    return;
  }
  serialization.pending = [work];
  serialization.depth = 1;
  drain(serialization, serialization.pending);
  serialization.pending = undefined;
}

/** The explicit stack: the most recently pushed record goes on until done or until it pushes one. */
function drain(serialization: Serialization, pending: Pending[]): void {
  while (serialization.depth > 0) {
    const work = pending[serialization.depth - 1] as Pending;
    const { keys, out } = work;
    const end = keys === null ? out.length : keys.length;
    const depth = serialization.depth;
    const next = keys === null
      ? serializeListItems(serialization, out, work.next)
      : serializeProperties(serialization, work.source as Record<string, unknown>, keys, out, work.dense, work.next);
    work.next = next;
    if (next === end && serialization.depth === depth) serialization.depth--;
  }
}

/** StructuredSerializeInternal for a value met inside another one. */
function serializeValue(value: unknown, serialization: Serialization): Serialized {
  if (typeof value !== 'object' || value === null) return serializePrimitive(value);
  // 2. If memory[value] exists, return it: shared references and cycles come back shared.
  const known = serialization.memory.get(value);
  if (known !== undefined) return known;
  return serializeObject(value, serialization);
}

function serializePrimitive(value: unknown): Serialized {
  switch (typeof value) {
    // 4. Undefined, Null, Boolean, Number, BigInt, String: the primitive is its own record.
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return value;
    case 'undefined':
      if (value === undefined) return undefined;
      // document.all: a platform object that typeof calls "undefined" (step 20).
      throw dataCloneError('An HTMLAllCollection could not be cloned.');
    // 5. Symbol → DataCloneError.
    case 'symbol':
      throw dataCloneError('A symbol could not be cloned.');
    // 21. IsCallable → DataCloneError.
    case 'function':
      throw dataCloneError('A function could not be cloned.');
    default:
      return null;
  }
}

/**
 * 26.1.2, 26.2.2. Map keys and values, or Set values, of the copied list, in place, from `from`.
 * Stops early, returning where to resume, when an item pushed its own step 26 on the explicit
 * stack (which must run first); otherwise returns the list's length.
 */
function serializeListItems(serialization: Serialization, out: unknown[], from: number): number {
  const depth = serialization.depth;
  for (let index = from; index < out.length; ) {
    out[index] = serializeValue(out[index], serialization);
    index++;
    if (serialization.depth !== depth) return index;
  }
  return out.length;
}

/** 26.4.1. The properties of an Object or Array, in order, from `from`; stops like serializeListItems. */
function serializeProperties(
  serialization: Serialization, source: Record<string, unknown>, keys: readonly string[], out: unknown[], dense: number, from: number,
): number {
  const depth = serialization.depth;
  for (let index = from; index < keys.length; ) {
    const key = keys[index] as string;
    // A property deleted by an earlier getter is skipped; then ? Get (getters run in order, their
    // exceptions propagate) and serialize.
    let input: unknown;
    let present: boolean;
    if (index < dense) {
      present = hasOwnProperty(source, index);
      if (present) input = (source as unknown as unknown[])[index];
    } else {
      present = hasOwnProperty(source, key);
      if (present) input = source[key];
    }
    index++;
    if (present) {
      const serialized = serializeValue(input, serialization);
      out[out.length] = [key, serialized] as PropertyRecord;
      if (serialization.depth !== depth) return index;
    }
  }
  return keys.length;
}

/** Steps 6–26 for an object not yet in memory. */
function serializeObject(value: object, serialization: Serialization): ObjectRecord {
  const { memory } = serialization;
  // 23. An exotic object → DataCloneError; a Proxy must be caught before anything can run its traps.
  if (isProxy(value)) throw dataCloneError('A Proxy could not be cloned.');
  // 18. Array exotic objects.
  if (isArray(value)) return serializeArray(value, serialization);
  // 24. The common case first: an object whose prototype is %Object.prototype%.
  // DEVIATION(30): such an object is taken to be ordinary without brand checks, which would cost
  // more than the rest of its serialization; an object with internal slots whose prototype was
  // set to Object.prototype (Object.setPrototypeOf(new Map(), Object.prototype)) is therefore
  // serialized as a plain object instead of by its slots, or instead of throwing. (Without
  // util.types, the same goes for an arguments object whose `callee` was deleted.)
  const proto = getPrototypeOf(value);
  if (proto === ObjectPrototype && !hasExoticPrototypeSlots(value)) return serializeOrdinary(value, serialization);
  const kind = classifyWithPrototype(value, proto);
  switch (kind) {
    // 24. An ordinary object: a plain object record (the prototype is not kept).
    case Kind.Ordinary:
      return serializeOrdinary(value, serialization);
    // 7–10. Primitive wrappers.
    case Kind.Boolean:
      return remember(memory, value, { type: 'Boolean', value: BooleanPrototypeValueOf(value) });
    case Kind.Number:
      return remember(memory, value, { type: 'Number', value: NumberPrototypeValueOf(value) });
    case Kind.BigInt:
      return remember(memory, value, { type: 'BigInt', value: (BigIntPrototypeValueOf as (v: unknown) => bigint)(value) });
    case Kind.String:
      return remember(memory, value, { type: 'String', value: StringPrototypeValueOf(value) });
    // 11. [[DateValue]].
    case Kind.Date:
      return remember(memory, value, { type: 'Date', value: DatePrototypeGetTime(value) });
    // 12. [[OriginalSource]] and [[OriginalFlags]]; lastIndex and other own properties are dropped.
    case Kind.RegExp:
      return remember(memory, value, { type: 'RegExp', source: RegExpSourceGetter(value), flags: regExpFlags(value) });
    // 13. [[ArrayBufferData]].
    case Kind.ArrayBuffer:
      return serializeArrayBuffer(value as ArrayBuffer, memory);
    case Kind.SharedArrayBuffer:
      return serializeSharedArrayBuffer(value as SharedArrayBuffer, serialization.forStorage, memory);
    // 14. [[ViewedArrayBuffer]].
    case Kind.ArrayBufferView:
      return serializeArrayBufferView(value as ArrayBufferView, serialization);
    // 15, 16. [[MapData]], [[SetData]].
    case Kind.Map:
      return serializeMap(value, serialization);
    case Kind.Set:
      return serializeSet(value, serialization);
    // 17. [[ErrorData]], not a platform object.
    case Kind.Error:
      return serializeError(value, serialization);
    // 19. Serializable platform objects, by primary interface (a subclass instance becomes its
    //     closest serializable interface). Blob and File are immutable: the record holds them.
    case Kind.Blob:
      return remember(memory, value, { type: 'Blob', blob: value as Blob });
    case Kind.File:
      return remember(memory, value, { type: 'File', file: value as File });
    case Kind.DOMException:
      return remember(memory, value, {
        type: 'DOMException',
        name: (DOMExceptionNameGetter as (v: unknown) => string)(value),
        message: (DOMExceptionMessageGetter as (v: unknown) => string)(value),
      });
    // 20, 22. Other platform objects, other internal slots → DataCloneError.
    case Kind.NotSerializable:
      throw dataCloneError(`${describeNotSerializable(value)} could not be cloned.`);
    default: {
      const unreachable: never = kind;
      throw new TypeError(`Unknown kind ${String(unreachable)}`);
    }
  }
}

/**
 * The objects whose prototype is %Object.prototype% that are known not to be ordinary: arguments
 * objects ([[ParameterMap]]), the global object, and the wrapper prototypes, which carry
 * [[BooleanData]], [[NumberData]] and [[StringData]] themselves.
 */
function hasExoticPrototypeSlots(value: object): boolean {
  return isArgumentsObject(value) || value === BooleanPrototype || value === NumberPrototype || value === StringPrototype ||
    isGlobalObject(value);
}

/** Exact with util.types; otherwise an own `callee` sends the object through the full checks. */
function isArgumentsObject(value: object): boolean {
  return nodeUtilTypes !== undefined ? nodeUtilTypes.isArgumentsObject(value) : hasOwnProperty(value, 'callee');
}

/** 25. Set memory[value] to serialized (for records with nothing deep to fill in). */
function remember(memory: SerializeMemory, value: object, record: ObjectRecord): ObjectRecord {
  memory.set(value, record);
  return record;
}

function serializeOrdinary(value: object, serialization: Serialization): ObjectRecord {
  // 24. serialized = { [[Type]]: "Object", [[Properties]]: new empty List }.
  const properties: PropertyRecord[] = [];
  const record: ObjectRecord = { type: 'Object', properties };
  // 25. memory[value] = serialized, before any property is serialized.
  serialization.memory.set(value, record);
  // 26.4. EnumerableOwnProperties(value, key), a snapshot (symbols, non-enumerable and inherited
  //       keys are not in it), then each property in order.
  const keys = objectKeys(value);
  if (keys.length > 0) serializeDeep(serialization, value, keys, properties, 0);
  return record;
}

function serializeArray(value: unknown[], serialization: Serialization): ObjectRecord {
  // 18.1–3. [[Length]] from the own "length" (no user code for a real array): holes stay holes.
  const { length } = value;
  const properties: PropertyRecord[] = [];
  const record: ObjectRecord = { type: 'Array', length, properties };
  // 25.
  serialization.memory.set(value, record);
  // 26.4. When the first `length` keys are the indices 0…length-1 (no holes, no non-enumerable
  //       elements), those are read by number, which is cheaper than by string. That holds exactly
  //       when keys[length-1] is "length-1": indices come first, ascending, all below length.
  const keys = objectKeys(value);
  const dense = length > 0 && keys.length >= length && keys[length - 1] === `${length - 1}` ? length : 0;
  if (keys.length > 0) serializeDeep(serialization, value, keys, properties, dense);
  return record;
}

function regExpFlags(value: object): string {
  let flags = '';
  for (let i = 0; i < RegExpFlagGetters.length; i++) {
    const [flag, get] = RegExpFlagGetters[i] as (typeof RegExpFlagGetters)[number];
    if (get(value) === true) flags += flag;
  }
  return flags;
}

function serializeArrayBuffer(value: ArrayBuffer, memory: SerializeMemory): ObjectRecord {
  // 13.2.1. A detached buffer → DataCloneError.
  if (isDetachedBuffer(value)) throw dataCloneError('A detached ArrayBuffer could not be cloned.');
  // 13.2.2–5. A private copy of the bytes; a resizable buffer stays resizable.
  if (isResizableArrayBuffer(value)) {
    const maxByteLength = arrayBufferMaxByteLength(value);
    return remember(memory, value, { type: 'ResizableArrayBuffer', data: copyArrayBuffer(value, maxByteLength), maxByteLength });
  }
  return remember(memory, value, { type: 'ArrayBuffer', data: copyArrayBuffer(value) });
}

function serializeSharedArrayBuffer(value: SharedArrayBuffer, forStorage: boolean, memory: SerializeMemory): ObjectRecord {
  // 13.1.1. Not cross-origin isolated → DataCloneError.
  if (!crossOriginIsolatedCapability) throw dataCloneError('A SharedArrayBuffer cannot be cloned without cross-origin isolation.');
  // 13.1.2. Never for storage.
  if (forStorage) throw dataCloneError('A SharedArrayBuffer cannot be stored.');
  // 13.1.3. The memory is shared, not copied (a growable one stays growable: the object carries it).
  return remember(memory, value, { type: 'SharedArrayBuffer', buffer: value });
}

function serializeArrayBufferView(value: ArrayBufferView, serialization: Serialization): ObjectRecord {
  // 14.1–2. Out of bounds (detached included) → DataCloneError; read the buffer, offset and length.
  const view = inspectView(value);
  // 14.3. The buffer goes through memory, so views sharing a buffer share it after the clone.
  const buffer = serializeValue(view.buffer, serialization) as ObjectRecord;
  // 14.5–6. A length-tracking view keeps length null ("auto").
  return remember(serialization.memory, value, {
    type: 'ArrayBufferView', constructor: view.constructor, buffer, byteOffset: view.byteOffset, length: view.length,
  });
}

// Records' own arrays are filled by assignment, for speed: an accessor defined on an index of
// Array.prototype (which breaks most code anyway) would see them being filled.

// Copies of [[MapData]] / [[SetData]] are taken straight into the record's list, which is then
// serialized in place. The callbacks run no user code, so one target at a time suffices.
let copyTarget: unknown[] = [];
function copyMapEntry(entryValue: unknown, entryKey: unknown): void {
  copyTarget[copyTarget.length] = entryKey;
  copyTarget[copyTarget.length] = entryValue;
}
function copySetEntry(entry: unknown): void {
  copyTarget[copyTarget.length] = entry;
}

function serializeMap(value: object, serialization: Serialization): ObjectRecord {
  // 15. serialized = { [[Type]]: "Map", [[MapData]]: new empty List }.
  const entries: Serialized[] = [];
  const record: ObjectRecord = { type: 'Map', entries };
  // 25.
  serialization.memory.set(value, record);
  // 26.1.1. Copy the entries first: serializing them may run getters that change the map.
  copyTarget = entries;
  MapPrototypeForEach(value, copyMapEntry);
  // 26.1.2. Key then value, in insertion order.
  if (entries.length > 0) serializeDeep(serialization, null, null, entries, 0);
  return record;
}

function serializeSet(value: object, serialization: Serialization): ObjectRecord {
  // 16.
  const values: Serialized[] = [];
  const record: ObjectRecord = { type: 'Set', values };
  // 25.
  serialization.memory.set(value, record);
  // 26.2.1–2.
  copyTarget = values;
  SetPrototypeForEach(value, copySetEntry);
  if (values.length > 0) serializeDeep(serialization, null, null, values, 0);
  return record;
}

function serializeError(value: object, serialization: Serialization): ObjectRecord {
  // 17.1. Let name be ? Get(value, "name").
  const name = (value as { name?: unknown }).name;
  // 17.2. Any other name becomes "Error" (the prototype follows the name, not the constructor).
  const record: Mutable<ErrorRecord> = { type: 'Error', name: isErrorName(name) ? name : 'Error', hasCause: false };
  // 17.3–4. message: an own data property only, ? ToString'd (a getter-defined one is not read).
  const messageDesc = getOwnPropertyDescriptor(value, 'message');
  if (messageDesc !== undefined && isDataDescriptor(messageDesc)) record.message = `${messageDesc.value as string}`;
  // 17.6. "should attach … notably the stack property".
  const stack = ownStack(value);
  if (stack !== undefined) record.stack = stack;
  // 25.
  serialization.memory.set(value, record);
  // Not in the spec text, but conformance tests require copy.cause === input.cause: an own data
  // `cause` is cloned (as V8 does; V8 also ignores an accessor `cause`).
  const causeDesc = getOwnPropertyDescriptor(value, 'cause');
  if (causeDesc !== undefined && isDataDescriptor(causeDesc)) {
    record.hasCause = true;
    record.cause = serializeValue(causeDesc.value, serialization);
  }
  return record;
}

function isErrorName(name: unknown): name is ErrorName {
  switch (name) {
    case 'Error': case 'EvalError': case 'RangeError': case 'ReferenceError':
    case 'SyntaxError': case 'TypeError': case 'URIError':
      return true;
    default:
      return false;
  }
}

function isDataDescriptor(desc: PropertyDescriptor): boolean {
  return hasOwnProperty(desc, 'value') || hasOwnProperty(desc, 'writable');
}

/** An own string `stack`: a data property, or the engine's own accessor (never a user getter). */
function ownStack(value: object): string | undefined {
  const desc = getOwnPropertyDescriptor(value, 'stack');
  if (desc === undefined) return undefined;
  let stack: unknown;
  if (isDataDescriptor(desc)) stack = desc.value;
  else if (nativeStackGetter !== undefined && desc.get === nativeStackGetter) stack = ReflectApply(desc.get, value, []);
  return typeof stack === 'string' ? stack : undefined;
}
