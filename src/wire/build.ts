// What the decoder (decode.ts) makes of what it reads: values at once (decode), or clone records
// (decodeWithTransfer, whose holders the routing layer receives before deserializing). Values
// are created by the clone layer's own creation steps (src/clone/create.ts), the ones
// StructuredDeserialize uses: the same objects either way. The decoder has checked everything a
// builder is given, so building runs no user code and throws only where the realm lacks a type.

import type { ErrorName, ObjectRecord, PropertyRecord, Serialized, TypedArrayName } from '../clone/records.ts';
import { ArrayPrototype, ObjectPrototype } from '../clone/intrinsics.ts';
import {
  createArray, createBlob, createDataProperty, createDate, createDOMException, createElement, createError, createFile,
  createMap, createObject, createRegExp, createSet, createWrapper, defineDataProperty, isAssignable, mapSet, setAdd,
  setErrorCause,
} from '../clone/create.ts';
import { createView } from '../clone/array-buffer.ts';
import { errorRecord, wrapperRecord } from '../clone/sink.ts';

/**
 * Receives a message's values depth-first, as the decoder reads them: a container first, then its
 * items. `keyId` is a key's index in the message's key table, or −1 for an integer key.
 */
export interface Builder<V> {
  /** Called before each message. */
  begin(): void;
  object(): V;
  property(target: V, key: string, keyId: number, value: unknown): void;
  array(length: number): V;
  /** An element: an array index below the array's length. */
  element(target: V, index: number, value: unknown): void;
  /** A property of an array that is not an element. */
  arrayProperty(target: V, key: string, keyId: number, value: unknown): void;
  map(): V;
  mapEntry(target: V, key: unknown, value: unknown): void;
  set(): V;
  setValue(target: V, value: unknown): void;
  date(time: number): V;
  /** Throws when the engine rejects the pattern or flags. */
  regExp(source: string, flags: string): V;
  wrapper(value: boolean | number | bigint | string): V;
  /** `data` is a new buffer, the decoder's copy. */
  arrayBuffer(data: ArrayBuffer): V;
  resizableArrayBuffer(data: ArrayBuffer, maxByteLength: number): V;
  /** `buffer` is what arrayBuffer, resizableArrayBuffer or transferred made; the view fits it. */
  view(constructor: TypedArrayName | 'DataView', buffer: V, byteOffset: number, length: number | null): V;
  error(name: ErrorName, message: string | undefined, stack: string | undefined, hasCause: boolean): V;
  errorCause(error: V, cause: unknown): void;
  domException(name: string, message: string): V;
  /** A value from the holder table (the index was checked). */
  transferred(index: number): V;
  /** `bytes` is a view into the input: copy it. */
  blob(bytes: Uint8Array, type: string): V;
  file(bytes: Uint8Array, type: string, name: string, lastModified: number): V;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type ErrorRecord = Mutable<Extract<ObjectRecord, { type: 'Error' }>>;
type Container = Extract<ObjectRecord, { type: 'Object' | 'Array' }>;

/** Records, for structuredDeserializeWithTransfer (or discardTransferDataHolders) to take over. */
export class RecordBuilder implements Builder<ObjectRecord> {
  begin(): void {
    // Nothing per message.
  }

  object(): ObjectRecord {
    return { type: 'Object', properties: [] };
  }

  property(target: ObjectRecord, key: string, _keyId: number, value: unknown): void {
    (target as Container).properties.push([key, value as Serialized] as PropertyRecord);
  }

  array(length: number): ObjectRecord {
    return { type: 'Array', length, properties: [] };
  }

  element(target: ObjectRecord, index: number, value: unknown): void {
    (target as Container).properties.push([`${index}`, value as Serialized] as PropertyRecord);
  }

  arrayProperty(target: ObjectRecord, key: string, keyId: number, value: unknown): void {
    this.property(target, key, keyId, value);
  }

  map(): ObjectRecord {
    return { type: 'Map', entries: [] };
  }

  mapEntry(target: ObjectRecord, key: unknown, value: unknown): void {
    (target as Extract<ObjectRecord, { type: 'Map' }>).entries.push(key as Serialized, value as Serialized);
  }

  set(): ObjectRecord {
    return { type: 'Set', values: [] };
  }

  setValue(target: ObjectRecord, value: unknown): void {
    (target as Extract<ObjectRecord, { type: 'Set' }>).values.push(value as Serialized);
  }

  date(time: number): ObjectRecord {
    return { type: 'Date', value: time };
  }

  regExp(source: string, flags: string): ObjectRecord {
    // Deserializing must not throw a SyntaxError: the decoder checks the pattern here.
    createRegExp(source, flags);
    return { type: 'RegExp', source, flags };
  }

  wrapper(value: boolean | number | bigint | string): ObjectRecord {
    return wrapperRecord(value);
  }

  arrayBuffer(data: ArrayBuffer): ObjectRecord {
    return { type: 'ArrayBuffer', data };
  }

  resizableArrayBuffer(data: ArrayBuffer, maxByteLength: number): ObjectRecord {
    return { type: 'ResizableArrayBuffer', data, maxByteLength };
  }

  view(constructor: TypedArrayName | 'DataView', buffer: ObjectRecord, byteOffset: number, length: number | null): ObjectRecord {
    return { type: 'ArrayBufferView', constructor, buffer, byteOffset, length };
  }

  error(name: ErrorName, message: string | undefined, stack: string | undefined, hasCause: boolean): ObjectRecord {
    return errorRecord(name, message, stack, hasCause);
  }

  errorCause(error: ObjectRecord, cause: unknown): void {
    (error as ErrorRecord).cause = cause as Serialized;
  }

  domException(name: string, message: string): ObjectRecord {
    return { type: 'DOMException', name, message };
  }

  transferred(index: number): ObjectRecord {
    return { type: 'Transferred', index };
  }

  blob(bytes: Uint8Array, type: string): ObjectRecord {
    return { type: 'Blob', blob: createBlob(bytes as Uint8Array<ArrayBuffer>, type) };
  }

  file(bytes: Uint8Array, type: string, name: string, lastModified: number): ObjectRecord {
    return { type: 'File', file: createFile(bytes as Uint8Array<ArrayBuffer>, type, name, lastModified) };
  }
}

/** Values, created as StructuredDeserialize creates them (CreateDataProperty for every property). */
export class ValueBuilder implements Builder<object> {
  /** Per key-table entry: can a property with this key be assigned, on a plain object / on an array? */
  private readonly objectKeys = new KeyAnswers(ObjectPrototype);
  private readonly arrayKeys = new KeyAnswers(ArrayPrototype);

  begin(): void {
    // No user code runs while a message is decoded, so prototypes cannot change within one;
    // between messages they may.
    this.objectKeys.forget();
    this.arrayKeys.forget();
  }

  object(): object {
    return createObject();
  }

  property(target: object, key: string, keyId: number, value: unknown): void {
    if (keyId < 0) createDataProperty(target, ObjectPrototype, key, value);
    else if (this.objectKeys.assignable(keyId, key)) (target as Record<string, unknown>)[key] = value;
    else defineDataProperty(target, key, value);
  }

  array(length: number): object {
    return createArray(length);
  }

  element(target: object, index: number, value: unknown): void {
    createElement(target as unknown[], index, value);
  }

  arrayProperty(target: object, key: string, keyId: number, value: unknown): void {
    if (keyId < 0) createDataProperty(target, ArrayPrototype, key, value);
    else if (this.arrayKeys.assignable(keyId, key)) (target as Record<string, unknown>)[key] = value;
    else defineDataProperty(target, key, value);
  }

  map(): object {
    return createMap();
  }

  mapEntry(target: object, key: unknown, value: unknown): void {
    mapSet(target, key, value);
  }

  set(): object {
    return createSet();
  }

  setValue(target: object, value: unknown): void {
    setAdd(target, value);
  }

  date(time: number): object {
    return createDate(time);
  }

  regExp(source: string, flags: string): object {
    return createRegExp(source, flags);
  }

  wrapper(value: boolean | number | bigint | string): object {
    return createWrapper(value);
  }

  arrayBuffer(data: ArrayBuffer): object {
    return data;
  }

  resizableArrayBuffer(data: ArrayBuffer): object {
    return data;
  }

  view(constructor: TypedArrayName | 'DataView', buffer: object, byteOffset: number, length: number | null): object {
    return createView(constructor, buffer as ArrayBuffer, byteOffset, length);
  }

  error(name: ErrorName, message: string | undefined, stack: string | undefined): object {
    return createError(name, message, stack);
  }

  errorCause(error: object, cause: unknown): void {
    setErrorCause(error as Error, cause);
  }

  domException(name: string, message: string): object {
    return createDOMException(name, message);
  }

  transferred(): object {
    throw new TypeError('decode() takes no transferred values');
  }

  blob(bytes: Uint8Array, type: string): object {
    return createBlob(bytes as Uint8Array<ArrayBuffer>, type);
  }

  file(bytes: Uint8Array, type: string, name: string, lastModified: number): object {
    return createFile(bytes as Uint8Array<ArrayBuffer>, type, name, lastModified);
  }
}

/** isAssignable for each key of the message's key table, asked of the prototype once per message. */
class KeyAnswers {
  private readonly answers: boolean[] = [];
  /** The message each answer is for. */
  private readonly stamps: number[] = [];
  private message = 0;

  constructor(private readonly proto: object) {}

  forget(): void {
    this.message++;
  }

  assignable(keyId: number, key: string): boolean {
    if (this.stamps[keyId] === this.message) return this.answers[keyId] as boolean;
    const answer = isAssignable(this.proto, key);
    this.answers[keyId] = answer;
    this.stamps[keyId] = this.message;
    return answer;
  }
}
