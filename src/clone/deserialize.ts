// StructuredDeserializeWithTransfer and StructuredDeserialize: records back to JavaScript values,
// made from this realm's intrinsics as captured at load (not from globals that may have changed).
// https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserialize

import { EntangleError } from '../errors.ts';
import type { DeserializedWithTransfer, ObjectRecord, PropertyRecord, Serialized, SerializedWithTransfer } from './records.ts';
import { ArrayPrototype, ObjectPrototype, SafeMap } from './intrinsics.ts';
import {
  createArray, createDataProperty, createDate, createDOMException, createElement, createError, createMap, createObject,
  createRegExp, createSet, createWrapper, mapSet, newBlob, newFile, setAdd, setErrorCause, sharedArrayBufferOver,
} from './create.ts';
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

const FillKind = { Object: 0, Array: 1, Map: 2, Set: 3, Cause: 4 } as const;
type FillKind = (typeof FillKind)[keyof typeof FillKind];

/**
 * The deep part of one record, not done yet: `items` are its property records (Object, Array;
 * for an Array the first `dense` are elements 0…dense-1), its Map entries / Set values, or an
 * Error's cause (one item: a chain of causes nests as deep as any container).
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
      setAdd(target, structuredDeserializeInternal(items[index] as Serialized, deserialization));
    } else if (kind === FillKind.Cause) {
      setErrorCause(target as Error, structuredDeserializeInternal(items[index] as Serialized, deserialization));
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
    mapSet(target, key, value);
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
      const object = createObject();
      memory.set(record, object);
      deserializeDeep(deserialization, object, FillKind.Object, record.properties, 0);
      return object;
    }
    case 'Array': {
      // ArrayCreate(length): holes stay holes.
      const { length, properties } = record;
      const array = createArray(length);
      memory.set(record, array);
      // Elements 0…length-1 first, in order (as a dense array serializes), are stored by number.
      const last = properties[length - 1];
      const dense = length > 0 && last !== undefined && last[0] === `${length - 1}` ? length : 0;
      deserializeDeep(deserialization, array, FillKind.Array, properties, dense);
      return array;
    }
    case 'Date':
      return remember(memory, record, createDate(record.value));
    case 'Map': {
      const map = createMap();
      memory.set(record, map);
      deserializeDeep(deserialization, map, FillKind.Map, record.entries, 0);
      return map;
    }
    case 'Set': {
      const set = createSet();
      memory.set(record, set);
      deserializeDeep(deserialization, set, FillKind.Set, record.values, 0);
      return set;
    }
    // Boolean, Number, BigInt, String objects: a new wrapper (ToObject) of this realm.
    case 'Boolean':
    case 'Number':
    case 'BigInt':
    case 'String':
      return remember(memory, record, createWrapper(record.value));
    case 'RegExp':
      return remember(memory, record, createRegExp(record.source, record.flags));
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
      return remember(memory, record, createDOMException(record.name, record.message));
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

type ErrorRecord = Extract<ObjectRecord, { type: 'Error' }>;

function deserializeError(record: ErrorRecord, deserialization: Deserialization): Error {
  const error = createError(record.name, record.message, record.stack);
  deserialization.memory.set(record, error);
  if (record.hasCause) deserializeDeep(deserialization, error, FillKind.Cause, [record.cause], 0);
  return error;
}

