// StructuredDeserializeWithTransfer and StructuredDeserialize: records back to JavaScript values,
// made from this realm's intrinsics as captured at load (not from globals that may have changed).
// https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserialize

import { dataCloneError, EntangleError } from '../errors.ts';
import type { DeserializedWithTransfer, ErrorName, ObjectRecord, PropertyRecord, Serialized, SerializedWithTransfer } from './records.ts';
import {
  ArrayCtor, ArrayPrototype, BlobCtor, BlobTypeGetter, DateCtor, defineProperty, DOMExceptionCtor, ErrorCtor,
  errorConstructors, FileCtor, FileLastModifiedGetter, FileNameGetter, getOwnPropertyDescriptor, hasOwnProperty,
  MapCtor, MapPrototypeSet, nativeStructuredClone, ObjectCtor, ObjectPrototype, ReflectDeleteProperty, RegExpCtor,
  SafeMap, SetCtor, SetPrototypeAdd,
} from './intrinsics.ts';
import { asResizableArrayBuffer, createView } from './array-buffer.ts';
import { receiveTransferDataHolders } from './transfer.ts';

/** The spec's memory: each record already deserialized → its value. */
type DeserializeMemory = Map<ObjectRecord, unknown>;

const NO_TRANSFERRED_VALUES: readonly unknown[] = Object.freeze([]);

/**
 * https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserializewithtransfer
 */
export function structuredDeserializeWithTransfer(serializeWithTransferResult: SerializedWithTransfer): DeserializedWithTransfer {
  // 1–3. For each transfer data holder, in order: the ArrayBuffer over the same data block, or a new
  //      platform object from its transfer-receiving steps; these become TransferredValues, and
  //      serialized Transferred records stand for them (memory).
  const transferredValues = receiveTransferDataHolders(serializeWithTransferResult.transferDataHolders);
  // 4. Let deserialized be ? StructuredDeserialize(serialized, targetRealm, memory).
  const deserialized = deserializeTop(serializeWithTransferResult.serialized, transferredValues);
  // 5. Return { [[Deserialized]], [[TransferredValues]] }.
  return { deserialized, transferredValues };
}

/**
 * StructuredDeserialize(serialized): throws DataCloneError when a value cannot be created here, or
 * an EntangleError ENTANGLE_DESERIALIZE_FAILED for a malformed record.
 * https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserialize
 */
export function structuredDeserialize(serialized: Serialized): unknown {
  return deserializeTop(serialized, NO_TRANSFERRED_VALUES);
}

/**
 * As in serialization, the deep steps (properties, entries) recurse while nesting is shallow and
 * go on an explicit stack past RECURSION_LIMIT levels, so depth is bounded by memory rather than
 * by the call stack.
 */
function deserializeTop(serialized: Serialized, transferred: readonly unknown[]): unknown {
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  return deserializeRecord(serialized, { memory: new SafeMap(), transferred, recursion: 0, pending: undefined, depth: 0 });
}

/** Nesting levels handled by recursion before switching to the explicit stack. */
const RECURSION_LIMIT = 100;

/** One deserialization: the spec's memory, the TransferredValues, and how the deep steps run. */
interface Deserialization {
  readonly memory: DeserializeMemory;
  readonly transferred: readonly unknown[];
  recursion: number;
  /** The explicit stack, while one is draining (entries at `depth` and above are stale). */
  pending: Fill[] | undefined;
  depth: number;
}

const FillKind = { Object: 0, Array: 1, Map: 2, Set: 3 } as const;
type FillKind = (typeof FillKind)[keyof typeof FillKind];

/**
 * The deep part of one record, not done yet: `items` are its property records (Object, Array;
 * for an Array the first `dense` are elements 0…dense-1), or its Map entries / Set values.
 * `next` is the next to do.
 */
interface Fill {
  readonly target: object;
  readonly kind: FillKind;
  readonly items: readonly unknown[];
  readonly dense: number;
  next: number;
}

/** Runs the deep steps for a record: by recursion while shallow, else on the explicit stack. */
function deserializeDeep(deserialization: Deserialization, target: object, kind: FillKind, items: readonly unknown[], dense: number): void {
  if (items.length === 0) return;
  if (deserialization.pending === undefined && deserialization.recursion < RECURSION_LIMIT) {
    deserialization.recursion++;
    fillFrom(deserialization, target, kind, items, dense, 0);
    deserialization.recursion--;
    return;
  }
  const fill: Fill = { target, kind, items, dense, next: 0 };
  if (deserialization.pending !== undefined) {
    deserialization.pending[deserialization.depth++] = fill;
    return;
  }
  deserialization.pending = [fill];
  deserialization.depth = 1;
  drain(deserialization, deserialization.pending);
  deserialization.pending = undefined;
}

/** The explicit stack: the most recently pushed record goes on until done or until it pushes one. */
function drain(deserialization: Deserialization, pending: Fill[]): void {
  while (deserialization.depth > 0) {
    const fill = pending[deserialization.depth - 1] as Fill;
    const depth = deserialization.depth;
    const next = fillFrom(deserialization, fill.target, fill.kind, fill.items, fill.dense, fill.next);
    fill.next = next;
    if (next >= fill.items.length && deserialization.depth === depth) deserialization.depth--;
  }
}

function fillFrom(
  deserialization: Deserialization, target: object, kind: FillKind, items: readonly unknown[], dense: number, from: number,
): number {
  return kind === FillKind.Map
    ? fillMap(deserialization, target, items, from)
    : fillItems(deserialization, target, kind, items, dense, from);
}

function structuredDeserializeInternal(serialized: Serialized, deserialization: Deserialization): unknown {
  // 2. A primitive record: its value.
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  // 1. If memory[serialized] exists, return it.
  const known = deserialization.memory.get(serialized);
  if (known !== undefined) return known;
  return deserializeRecord(serialized, deserialization);
}

/**
 * Object properties, Array elements and properties, or Set values, in order, from `from`. Stops
 * early, returning where to resume, when a value pushed its own deep part on the explicit stack;
 * otherwise returns the number of items.
 */
function fillItems(
  deserialization: Deserialization, target: object, kind: FillKind, items: readonly unknown[], dense: number, from: number,
): number {
  const depth = deserialization.depth;
  for (let index = from; index < items.length; ) {
    if (kind === FillKind.Set) {
      SetPrototypeAdd(target, structuredDeserializeInternal(items[index] as Serialized, deserialization));
    } else {
      const property = items[index] as PropertyRecord;
      const value = structuredDeserializeInternal(property[1], deserialization);
      if (index < dense) createElement(target as unknown[], index, value);
      else createDataProperty(target, kind === FillKind.Object ? ObjectPrototype : ArrayPrototype, property[0], value);
    }
    index++;
    if (deserialization.depth !== depth) return index;
  }
  return items.length;
}

/** Map entries: key, then value, then MapPrototypeSet; stops like fillItems. */
function fillMap(deserialization: Deserialization, target: object, items: readonly unknown[], from: number): number {
  const depth = deserialization.depth;
  for (let index = from; index < items.length; ) {
    const key = structuredDeserializeInternal(items[index] as Serialized, deserialization);
    const value = structuredDeserializeInternal(items[index + 1] as Serialized, deserialization);
    MapPrototypeSet(target, key, value);
    index += 2;
    if (deserialization.depth !== depth) return index;
  }
  return items.length;
}

/** The steps for a record not yet in memory: create the value, set memory, then the deep steps. */
function deserializeRecord(record: ObjectRecord, deserialization: Deserialization): unknown {
  const { memory } = deserialization;
  // The most frequent records first: a string switch compares case by case.
  switch (record.type) {
    case 'Object': {
      // OrdinaryObjectCreate(%Object.prototype%).
      const object = {};
      memory.set(record, object);
      deserializeDeep(deserialization, object, FillKind.Object, record.properties, 0);
      return object;
    }
    case 'Array': {
      // ArrayCreate(length): holes stay holes.
      const { length, properties } = record;
      const array = new ArrayCtor<unknown>(length);
      memory.set(record, array);
      // Elements 0…length-1 first, in order (as a dense array serializes), are stored by number.
      const last = properties[length - 1];
      const dense = length > 0 && last !== undefined && last[0] === `${length - 1}` ? length : 0;
      deserializeDeep(deserialization, array, FillKind.Array, properties, dense);
      return array;
    }
    case 'Date':
      return remember(memory, record, new DateCtor(record.value));
    case 'Map': {
      const map = new MapCtor<unknown, unknown>();
      memory.set(record, map);
      deserializeDeep(deserialization, map, FillKind.Map, record.entries, 0);
      return map;
    }
    case 'Set': {
      const set = new SetCtor<unknown>();
      memory.set(record, set);
      deserializeDeep(deserialization, set, FillKind.Set, record.values, 0);
      return set;
    }
    // Boolean, Number, BigInt, String objects: a new wrapper (ToObject) of this realm.
    case 'Boolean':
    case 'Number':
    case 'BigInt':
    case 'String':
      return remember(memory, record, ObjectCtor(record.value));
    case 'RegExp':
      return remember(memory, record, new RegExpCtor(record.source, record.flags));
    // The record's bytes are a private copy: the new ArrayBuffer takes them (records are single-use).
    case 'ArrayBuffer':
      return remember(memory, record, record.data);
    case 'ResizableArrayBuffer':
      return remember(memory, record, asResizableArrayBuffer(record.data, record.maxByteLength));
    case 'SharedArrayBuffer':
      return remember(memory, record, sharedArrayBufferOver(record.buffer));
    case 'ArrayBufferView': {
      const buffer = structuredDeserializeInternal(record.buffer, deserialization) as ArrayBuffer | SharedArrayBuffer;
      return remember(memory, record, createView(record.constructor, buffer, record.byteOffset, record.length));
    }
    case 'Error':
      return deserializeError(record, deserialization);
    case 'Blob':
      return remember(memory, record, newBlob(record.blob));
    case 'File':
      return remember(memory, record, newFile(record.file));
    case 'DOMException':
      return remember(memory, record, new DOMExceptionCtor(record.message, record.name));
    case 'Transferred': {
      // StructuredDeserializeWithTransfer step 3 put the value in memory; looked up by index so
      // that a record graph rebuilt by the wire layer need not keep placeholder identity.
      const { index } = record;
      const { transferred } = deserialization;
      if (!(index >= 0 && index < transferred.length && index % 1 === 0)) throw malformed(`transfer index ${index}`);
      return transferred[index];
    }
    default:
      throw malformed(`record type ${describeType((record as { type?: unknown }).type)}`);
  }
}

function describeType(type: unknown): string {
  return typeof type === 'string' ? JSON.stringify(type) : typeof type;
}

function malformed(what: string): EntangleError {
  return new EntangleError('ENTANGLE_DESERIALIZE_FAILED', `Cannot deserialize: unknown ${what}.`);
}

function remember<T>(memory: DeserializeMemory, record: ObjectRecord, value: T): T {
  memory.set(record, value);
  return value;
}

/**
 * CreateDataProperty(target, key, value). Plain assignment is the same thing unless the prototype
 * chain has the key (the `__proto__` setter, a read-only or accessor property of a frozen or
 * patched prototype); those keys get defineProperty.
 */
function createDataProperty(target: object, proto: object, key: string, value: unknown): void {
  if (key in proto) defineProperty(target, key, dataDescriptor(value));
  else (target as Record<string, unknown>)[key] = value;
}

/** CreateDataProperty for an array element, by number. */
function createElement(array: unknown[], index: number, value: unknown): void {
  if (index in ArrayPrototype) defineProperty(array, index, dataDescriptor(value));
  else array[index] = value;
}

type ErrorRecord = Extract<ObjectRecord, { type: 'Error' }>;

function deserializeError(record: ErrorRecord, deserialization: Deserialization): Error {
  // OrdinaryObjectCreate(the prototype named by [[Name]], « [[ErrorData]] »).
  const ctor = hasOwnProperty(errorConstructors, record.name) ? errorConstructors[record.name as ErrorName] : ErrorCtor;
  const error = constructError(ctor);
  deserialization.memory.set(record, error);
  // message (and stack, cause): own, non-enumerable, writable, configurable data properties.
  if (record.message !== undefined) defineHidden(error, 'message', `${record.message}`);
  if (record.stack !== undefined) defineHidden(error, 'stack', record.stack);
  else ReflectDeleteProperty(error, 'stack');
  if (record.hasCause) defineHidden(error, 'cause', structuredDeserializeInternal(record.cause, deserialization));
  return error;
}

/** A null-prototype descriptor: an inherited `get` on Object.prototype cannot turn it into an accessor. */
function dataDescriptor(value: unknown): PropertyDescriptor {
  return { __proto__: null, value, writable: true, enumerable: true, configurable: true } as PropertyDescriptor;
}

function defineHidden(target: object, key: string, value: unknown): void {
  defineProperty(target, key, { __proto__: null, value, writable: true, enumerable: false, configurable: true } as PropertyDescriptor);
}

/**
 * A new error with [[ErrorData]] and nothing else of ours: `new ctor()` with no message. V8 would
 * capture a stack trace the record's stack replaces anyway; Error.stackTraceLimit = 0 skips that
 * work, and no user code can run before it is restored.
 */
function constructError(ctor: ErrorConstructor): Error {
  const limit = getOwnPropertyDescriptor(ErrorCtor, 'stackTraceLimit');
  if (limit === undefined || limit.writable !== true) return new ctor();
  const mutableCtor = ErrorCtor as unknown as { stackTraceLimit: unknown };
  mutableCtor.stackTraceLimit = 0;
  try {
    return new ctor();
  } finally {
    mutableCtor.stackTraceLimit = limit.value;
  }
}

/**
 * A new SharedArrayBuffer object over the same shared data block: only the runtime's own clone
 * can make one.
 */
function sharedArrayBufferOver(buffer: SharedArrayBuffer): SharedArrayBuffer {
  if (nativeStructuredClone !== undefined) return nativeStructuredClone(buffer) as SharedArrayBuffer;
  // DEVIATION(31): without a native structuredClone the same SharedArrayBuffer object is returned
  // instead of a new object over the same memory.
  return buffer;
}

/** A new Blob over the same bytes, synchronously (Blobs are immutable). */
function newBlob(blob: Blob): Blob {
  if (BlobCtor === undefined || BlobTypeGetter === undefined) throw dataCloneError('Blob is not available in this realm.');
  return new BlobCtor([blob], { __proto__: null, type: BlobTypeGetter(blob) } as BlobPropertyBag);
}

/** A new File (never a subclass) with the same bytes, name, type and lastModified. */
function newFile(file: File): File {
  if (FileCtor === undefined || BlobTypeGetter === undefined || FileNameGetter === undefined || FileLastModifiedGetter === undefined) {
    throw dataCloneError('File is not available in this realm.');
  }
  const options = { __proto__: null, type: BlobTypeGetter(file), lastModified: FileLastModifiedGetter(file) } as FilePropertyBag;
  return new FileCtor([file], FileNameGetter(file), options);
}
