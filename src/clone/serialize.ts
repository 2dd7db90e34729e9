// StructuredSerializeWithTransfer and StructuredSerializeInternal: a JavaScript value to records, or
// (serializeInto) to any sink, such as the wire's bytes.
// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal

import { dataCloneError } from '../errors.ts';
import type { ErrorName, ObjectRecord, Serialized, SerializedWithTransfer, TransferDataHolder } from './records.ts';
import {
  BigIntPrototypeValueOf, BooleanPrototype, BooleanPrototypeValueOf, crossOriginIsolatedCapability,
  DatePrototypeGetTime, DOMExceptionMessageGetter, DOMExceptionNameGetter, getOwnPropertyDescriptor, getPrototypeOf,
  hasOwnProperty, isArray, MapPrototypeForEach, nativeStackGetter,
  nodeUtilTypes, NumberPrototype, NumberPrototypeValueOf, objectKeys, ObjectPrototype, ReflectApply, RegExpFlagGetters,
  RegExpSourceGetter, SafeMap, SetPrototypeForEach, StringPrototype, StringPrototypeValueOf,
} from './intrinsics.ts';
import { arrayBufferMaxByteLength, inspectView, isDetachedBuffer, isResizableArrayBuffer } from './array-buffer.ts';
import { classifyWithPrototype, describeNotSerializable, Kind } from './classify.ts';
import { isGlobalObject, isProxy } from './platform-objects.ts';
import { RecordSink, type SerializeSink } from './sink.ts';
import { prepareTransferList, transferAll } from './transfer.ts';

/** The spec's memory: each object already serialized → its record (shared references, cycles). */
export type SerializeMemory = Map<object, ObjectRecord>;

const NO_HOLDERS: readonly TransferDataHolder[] = Object.freeze([]);
/** What the walk needs of its memory: a Map, or anything with a Map's get and set. */
export interface Memory<S> {
  get(value: object): S | undefined;
  set(value: object, serialized: S): unknown;
}

/** Handed to StructuredSerializeInternal for a primitive, which never touches memory. */
const UNUSED_MEMORY: SerializeMemory = new SafeMap();
const recordSink = new RecordSink();

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
 */
export function structuredSerializeInternal(value: unknown, forStorage: boolean, memory: SerializeMemory): Serialized {
  return serializeInto(value, recordSink, memory as Map<object, Serialized>, forStorage);
}

/**
 * StructuredSerializeInternal with its results handed to `sink` (records, or the wire's bytes):
 * the one walk that runs the spec's steps. `memory` starts empty (or with transfer placeholders)
 * and is the caller's to clear.
 *
 * Step 26 (the properties and entries) recurses, as in the spec, while nesting is shallow; past
 * RECURSION_LIMIT levels the rest of that subtree is finished with an explicit stack, in the same
 * depth-first order (getters run in the same order), so depth is bounded by memory rather than by
 * the call stack.
 */
export function serializeInto<S>(value: unknown, sink: SerializeSink<S>, memory: Memory<S>, forStorage = false): S {
  if (typeof value !== 'object' || value === null) return serializePrimitive(value, sink);
  // 2. If memory[value] exists, return it.
  const known = memory.get(value);
  if (known !== undefined) return sink.reference(known);
  return serializeObject(value, { sink, memory, forStorage, recursion: 0, pending: undefined, depth: 0 });
}

/**
 * Nesting levels handled by recursion (a few frames each) before switching to the explicit stack;
 * well inside any engine's call stack, and deeper than almost any real message.
 */
const RECURSION_LIMIT = 100;

/** One serialization: where results go, the spec's memory, and how step 26 is being run. */
interface Serialization<S> {
  readonly sink: SerializeSink<S>;
  readonly memory: Memory<S>;
  readonly forStorage: boolean;
  /** Containers whose step 26 is running recursively right now. */
  recursion: number;
  /** The explicit stack, while one is draining (entries at `depth` and above are stale). */
  pending: Pending<S>[] | undefined;
  depth: number;
}

/**
 * Step 26 for one container, not done yet: the properties of an Object or Array (`keys` is the
 * EnumerableOwnProperties snapshot, the first `dense` of them array indices read by number), or
 * the copied list of a Map or Set (`keys` null), item by item from `next`; or an Error's cause
 * (`keys` null, `list` the cause alone, `cause` true): a chain of causes nests as deep as any
 * container, so it goes the same way.
 */
class Pending<S> {
  next = 0;
  /** Properties serialized so far (dense elements not counted). */
  count = 0;
  constructor(
    readonly container: S,
    readonly source: object | null,
    readonly keys: readonly string[] | null,
    readonly list: unknown[] | null,
    readonly dense: number,
    readonly cause = false,
  ) {}
}

/**
 * Runs step 26 for a container now: by recursion while shallow, else on the explicit stack
 * (which, if not already draining, is drained right here, so the container is done before its
 * parent goes on).
 */
function serializeDeep<S>(serialization: Serialization<S>, work: Pending<S>): void {
  if (serialization.pending === undefined && serialization.recursion < RECURSION_LIMIT) {
    serialization.recursion++;
    step(serialization, work);
    serialization.recursion--;
    return;
  }
  if (serialization.pending !== undefined) {
    serialization.pending[serialization.depth++] = work;
    return;
  }
  serialization.pending = [work];
  serialization.depth = 1;
  drain(serialization, serialization.pending);
  serialization.pending = undefined;
}

/** The explicit stack: the most recently pushed container goes on until done or until it pushes one. */
function drain<S>(serialization: Serialization<S>, pending: Pending<S>[]): void {
  while (serialization.depth > 0) {
    if (step(serialization, pending[serialization.depth - 1] as Pending<S>)) serialization.depth--;
  }
}

/** Step 26 from `work.next`: true when done, false when it stopped for a child pushed on the explicit stack. */
function step<S>(serialization: Serialization<S>, work: Pending<S>): boolean {
  return work.keys === null ? serializeListItems(serialization, work) : serializeProperties(serialization, work);
}

/** StructuredSerializeInternal for a value met inside another one. */
function serializeValue<S>(value: unknown, serialization: Serialization<S>): S {
  if (typeof value !== 'object' || value === null) return serializePrimitive(value, serialization.sink);
  // 2. If memory[value] exists, return it: shared references and cycles come back shared.
  const known = serialization.memory.get(value);
  if (known !== undefined) return serialization.sink.reference(known);
  return serializeObject(value, serialization);
}

function serializePrimitive<S>(value: unknown, sink: SerializeSink<S>): S {
  // `typeof x === '…'` tests, not a switch on typeof: the engine folds each test into a type check,
  // where a switch makes the typeof string and compares it case by case (measured with
  // `npm run bench:instructions`: a small object's encode 9,152 → 8,794 instructions).
  // 4. Undefined, Null, Boolean, Number, BigInt, String: the primitive is its own record.
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return sink.primitive(value);
  }
  if (value === undefined || value === null) return sink.primitive(value);
  // document.all: a platform object that typeof calls "undefined" (step 20).
  if (typeof value === 'undefined') throw dataCloneError('An HTMLAllCollection could not be cloned.');
  // 5. Symbol → DataCloneError.
  if (typeof value === 'symbol') throw dataCloneError('A symbol could not be cloned.');
  // 21. IsCallable → DataCloneError.
  throw dataCloneError('A function could not be cloned.');
}

/** 26.1.2, 26.2.2. Map keys and values, or Set values, of the copied list, in order; stops like serializeProperties. */
function serializeListItems<S>(serialization: Serialization<S>, work: Pending<S>): boolean {
  const { sink } = serialization;
  const list = work.list as unknown[];
  const depth = serialization.depth;
  for (let index = work.next; index < list.length; ) {
    const item = serializeValue(list[index], serialization);
    if (work.cause) sink.errorCause(work.container, item);
    else sink.listItem(list, index, item);
    index++;
    if (serialization.depth !== depth) {
      work.next = index;
      return false;
    }
  }
  work.next = list.length;
  return true;
}

/**
 * 26.4.1. The properties of an Object or Array, in order, from `work.next`. Stops early, to be
 * resumed, when a value pushed its own step 26 on the explicit stack (which must run first).
 */
function serializeProperties<S>(serialization: Serialization<S>, work: Pending<S>): boolean {
  const { sink } = serialization;
  const { container, dense } = work;
  const source = work.source as Record<string, unknown>;
  const keys = work.keys as readonly string[];
  const depth = serialization.depth;
  let { count } = work;
  for (let index = work.next; index < keys.length; ) {
    const key = keys[index] as string;
    // A property deleted by an earlier getter is skipped (a dense element becomes a hole); then
    // ? Get (getters run in order, their exceptions propagate) and serialize.
    if (index < dense) {
      if (hasOwnProperty(source, index)) {
        sink.property(container, key, serializeValue((source as unknown as unknown[])[index], serialization));
      } else {
        sink.hole(container);
      }
    } else if (hasOwnProperty(source, key)) {
      sink.key(container, key);
      sink.property(container, key, serializeValue(source[key], serialization));
      count++;
    }
    index++;
    if (serialization.depth !== depth) {
      work.next = index;
      work.count = count;
      return false;
    }
  }
  work.next = keys.length;
  sink.end(container, count);
  return true;
}

/** Steps 6–26 for an object not yet in memory. */
function serializeObject<S>(value: object, serialization: Serialization<S>): S {
  const { memory, sink } = serialization;
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
      return remember(memory, value, sink.wrapper(BooleanPrototypeValueOf(value)));
    case Kind.Number:
      return remember(memory, value, sink.wrapper(NumberPrototypeValueOf(value)));
    case Kind.BigInt:
      return remember(memory, value, sink.wrapper((BigIntPrototypeValueOf as (v: unknown) => bigint)(value)));
    case Kind.String:
      return remember(memory, value, sink.wrapper(StringPrototypeValueOf(value)));
    // 11. [[DateValue]].
    case Kind.Date:
      return remember(memory, value, sink.date(DatePrototypeGetTime(value)));
    // 12. [[OriginalSource]] and [[OriginalFlags]]; lastIndex and other own properties are dropped.
    case Kind.RegExp:
      return remember(memory, value, sink.regExp(RegExpSourceGetter(value), regExpFlags(value)));
    // 13. [[ArrayBufferData]].
    case Kind.ArrayBuffer:
      return serializeArrayBuffer(value as ArrayBuffer, serialization);
    case Kind.SharedArrayBuffer:
      return serializeSharedArrayBuffer(value as SharedArrayBuffer, serialization);
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
      return remember(memory, value, sink.blob(value as Blob));
    case Kind.File:
      return remember(memory, value, sink.file(value as File));
    case Kind.DOMException:
      return remember(memory, value, sink.domException(
        (DOMExceptionNameGetter as (v: unknown) => string)(value),
        (DOMExceptionMessageGetter as (v: unknown) => string)(value),
      ));
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

/** 25. Set memory[value] to serialized (for results with nothing deep to fill in). */
function remember<S>(memory: Memory<S>, value: object, serialized: S): S {
  memory.set(value, serialized);
  return serialized;
}

function serializeOrdinary<S>(value: object, serialization: Serialization<S>): S {
  // 26.4. EnumerableOwnProperties(value, key), a snapshot (symbols, non-enumerable and inherited
  //       keys are not in it). Taking it before step 24 runs no user code (value is no Proxy).
  const keys = objectKeys(value);
  // 24. serialized = { [[Type]]: "Object", [[Properties]]: new empty List }.
  const serialized = serialization.sink.object(keys.length);
  // 25. memory[value] = serialized, before any property is serialized.
  serialization.memory.set(value, serialized);
  // 26.4. Each property in order.
  if (keys.length > 0) serializeDeep(serialization, new Pending(serialized, value, keys, null, 0));
  return serialized;
}

function serializeArray<S>(value: unknown[], serialization: Serialization<S>): S {
  // 18.1–3. [[Length]] from the own "length" (no user code for a real array): holes stay holes.
  const { length } = value;
  // 26.4. When the first `length` keys are the indices 0…length-1 (no holes, no non-enumerable
  //       elements), those are read by number, which is cheaper than by string. That holds exactly
  //       when keys[length-1] is "length-1": indices come first, ascending, all below length.
  const keys = objectKeys(value);
  const dense = length > 0 && keys.length >= length && keys[length - 1] === `${length - 1}` ? length : 0;
  const serialized = serialization.sink.array(length, keys.length, dense);
  // 25.
  serialization.memory.set(value, serialized);
  if (keys.length > 0) serializeDeep(serialization, new Pending(serialized, value, keys, null, dense));
  return serialized;
}

function regExpFlags(value: object): string {
  let flags = '';
  for (let i = 0; i < RegExpFlagGetters.length; i++) {
    const [flag, get] = RegExpFlagGetters[i] as (typeof RegExpFlagGetters)[number];
    if (get(value) === true) flags += flag;
  }
  return flags;
}

function serializeArrayBuffer<S>(value: ArrayBuffer, { sink, memory }: Serialization<S>): S {
  // 13.2.1. A detached buffer → DataCloneError.
  if (isDetachedBuffer(value)) throw dataCloneError('A detached ArrayBuffer could not be cloned.');
  // 13.2.2–5. A copy of the bytes; a resizable buffer stays resizable.
  if (isResizableArrayBuffer(value)) {
    return remember(memory, value, sink.resizableArrayBuffer(value, arrayBufferMaxByteLength(value)));
  }
  return remember(memory, value, sink.arrayBuffer(value));
}

function serializeSharedArrayBuffer<S>(value: SharedArrayBuffer, { sink, memory, forStorage }: Serialization<S>): S {
  // 13.1.1. Not cross-origin isolated → DataCloneError.
  if (!crossOriginIsolatedCapability) throw dataCloneError('A SharedArrayBuffer cannot be cloned without cross-origin isolation.');
  // 13.1.2. Never for storage.
  if (forStorage) throw dataCloneError('A SharedArrayBuffer cannot be stored.');
  // 13.1.3. The memory is shared, not copied (a growable one stays growable: the object carries it).
  return remember(memory, value, sink.sharedArrayBuffer(value));
}

function serializeArrayBufferView<S>(value: ArrayBufferView, serialization: Serialization<S>): S {
  const { sink } = serialization;
  // 14.1–2. Out of bounds (detached included) → DataCloneError; read the buffer, offset and length.
  const view = inspectView(value);
  const begun = sink.beginView(view.constructor, view.byteOffset, view.length);
  // 14.3. The buffer goes through memory, so views sharing a buffer share it after the clone.
  const buffer = serializeValue(view.buffer, serialization);
  // 14.5–6. A length-tracking view keeps length null ("auto").
  return remember(serialization.memory, value, sink.endView(begun, view.constructor, view.byteOffset, view.length, buffer));
}

// Copies of [[MapData]] / [[SetData]] are taken straight into a new list, which is then
// serialized in place. The callbacks run no user code, so one target at a time suffices.
let copyTarget: unknown[] = [];
function copyMapEntry(entryValue: unknown, entryKey: unknown): void {
  copyTarget[copyTarget.length] = entryKey;
  copyTarget[copyTarget.length] = entryValue;
}
function copySetEntry(entry: unknown): void {
  copyTarget[copyTarget.length] = entry;
}

function serializeMap<S>(value: object, serialization: Serialization<S>): S {
  // 26.1.1. Copy the entries first: serializing them may run getters that change the map.
  const copied: unknown[] = [];
  copyTarget = copied;
  MapPrototypeForEach(value, copyMapEntry);
  // 15. serialized = { [[Type]]: "Map", [[MapData]]: new empty List }.
  const serialized = serialization.sink.map(copied);
  // 25.
  serialization.memory.set(value, serialized);
  // 26.1.2. Key then value, in insertion order.
  if (copied.length > 0) serializeDeep(serialization, new Pending(serialized, null, null, copied, 0));
  return serialized;
}

function serializeSet<S>(value: object, serialization: Serialization<S>): S {
  // 26.2.1.
  const copied: unknown[] = [];
  copyTarget = copied;
  SetPrototypeForEach(value, copySetEntry);
  // 16.
  const serialized = serialization.sink.set(copied);
  // 25.
  serialization.memory.set(value, serialized);
  // 26.2.2.
  if (copied.length > 0) serializeDeep(serialization, new Pending(serialized, null, null, copied, 0));
  return serialized;
}

function serializeError<S>(value: object, serialization: Serialization<S>): S {
  // 17.1. Let name be ? Get(value, "name").
  const name = (value as { name?: unknown }).name;
  // 17.3–4. message: an own data property only, ? ToString'd (a getter-defined one is not read).
  const messageDesc = getOwnPropertyDescriptor(value, 'message');
  const message = messageDesc !== undefined && isDataDescriptor(messageDesc) ? `${messageDesc.value as string}` : undefined;
  // 17.6. "should attach … notably the stack property".
  const stack = ownStack(value);
  // Not in the spec text, but conformance tests require copy.cause === input.cause: an own data
  // `cause` is cloned (as V8 does; V8 also ignores an accessor `cause`). Looked up before step 25
  // (no user code runs in between) so that the sink knows whether a cause follows.
  const causeDesc = getOwnPropertyDescriptor(value, 'cause');
  const hasCause = causeDesc !== undefined && isDataDescriptor(causeDesc);
  // 17.2. Any other name becomes "Error" (the prototype follows the name, not the constructor).
  const serialized = serialization.sink.error(isErrorName(name) ? name : 'Error', message, stack, hasCause);
  // 25.
  serialization.memory.set(value, serialized);
  if (hasCause) serializeDeep(serialization, new Pending(serialized, null, null, [(causeDesc as PropertyDescriptor).value], 0, true));
  return serialized;
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
