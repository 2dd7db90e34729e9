// What StructuredSerializeInternal produces, kept apart from how it walks a value: the walk
// (serialize.ts) runs the spec's steps once, in order, and hands each result to a sink. The
// record sink here builds the records of records.ts (same-node messages); the wire's byte sink
// (src/wire/encode.ts) writes the same results straight to bytes, with no records in between.
// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal

import type { ErrorName, ObjectRecord, Primitive, PropertyRecord, Serialized, TypedArrayName } from './records.ts';
import { copyArrayBuffer } from './array-buffer.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type ErrorRecord = Extract<ObjectRecord, { type: 'Error' }>;
type ContainerRecord = Extract<ObjectRecord, { type: 'Object' | 'Array' }>;

/**
 * The receiving end of one serialization. `S` stands for a serialized value: what memory keeps
 * for an object (so that meeting it again can refer to it), and what a container is told about
 * each of its items. Every method is called in the walk's depth-first order; a container's items
 * come after the call that made it, its end after its last item.
 */
export interface SerializeSink<S> {
  /** 4. A primitive. */
  primitive(value: Primitive): S;
  /** 2. An object already in memory (a shared reference or a cycle): what memory holds for it. */
  reference(known: S): S;
  /** 7–10. A primitive wrapper (Boolean, Number, BigInt, String object) of `value`. */
  wrapper(value: boolean | number | bigint | string): S;
  /** 11. */
  date(time: number): S;
  /** 12. */
  regExp(source: string, flags: string): S;
  /** 13.2. A fixed-length buffer, attached: its bytes are copied (records) or written (bytes) now. */
  arrayBuffer(buffer: ArrayBuffer): S;
  /** 13.2, resizable: its current bytes and maxByteLength. */
  resizableArrayBuffer(buffer: ArrayBuffer, maxByteLength: number): S;
  /** 13.1. Shared memory, already allowed by the walk (isolation, not for storage). */
  sharedArrayBuffer(buffer: SharedArrayBuffer): S;
  /** 14. A view: begun before its buffer is serialized, ended with the buffer's result. */
  beginView(constructor: TypedArrayName | 'DataView', byteOffset: number, length: number | null): S;
  endView(begun: S, constructor: TypedArrayName | 'DataView', byteOffset: number, length: number | null, buffer: S): S;
  /** 15, 16. A Map (keys and values alternating) or Set: `copied` is the copied list; its items follow (listItem). */
  map(copied: unknown[]): S;
  set(copied: unknown[]): S;
  /** 26.1.2, 26.2.2. Item `index` of a copied list, serialized. */
  listItem(copied: unknown[], index: number, item: S): void;
  /** 17. An Error; if `hasCause`, its cause follows (errorCause). */
  error(name: ErrorName, message: string | undefined, stack: string | undefined, hasCause: boolean): S;
  errorCause(error: S, cause: S): void;
  /** 24. An ordinary object with at most `keyCount` properties (the EnumerableOwnProperties snapshot). */
  object(keyCount: number): S;
  /**
   * 18. An array of `length`: its first `dense` keys are the elements 0…dense-1 (dense is 0 or
   * length), then properties; at most `keyCount` keys in all.
   */
  array(length: number, keyCount: number, dense: number): S;
  /** 26.4. Before the value of a property that is not one of an array's dense elements. */
  key(container: S, key: string): void;
  /** 26.4. A property (or dense element) and its serialized value. */
  property(container: S, key: string, value: S): void;
  /** A dense element deleted by a getter before its turn: the array gets a hole there. */
  hole(container: S): void;
  /** The container's last property: `count` were serialized (of the `keyCount` announced; dense elements not counted). */
  end(container: S, count: number): void;
  /** 19. Serializable platform objects. */
  blob(blob: Blob): S;
  file(file: File): S;
  domException(name: string, message: string): S;
}

/** The records of records.ts: a record graph that refers to no user object. */
export class RecordSink implements SerializeSink<Serialized> {
  primitive(value: Primitive): Serialized {
    return value;
  }

  reference(known: Serialized): Serialized {
    return known;
  }

  wrapper(value: boolean | number | bigint | string): Serialized {
    return wrapperRecord(value);
  }

  date(time: number): Serialized {
    return { type: 'Date', value: time };
  }

  regExp(source: string, flags: string): Serialized {
    return { type: 'RegExp', source, flags };
  }

  arrayBuffer(buffer: ArrayBuffer): Serialized {
    return { type: 'ArrayBuffer', data: copyArrayBuffer(buffer) };
  }

  resizableArrayBuffer(buffer: ArrayBuffer, maxByteLength: number): Serialized {
    return { type: 'ResizableArrayBuffer', data: copyArrayBuffer(buffer, maxByteLength), maxByteLength };
  }

  sharedArrayBuffer(buffer: SharedArrayBuffer): Serialized {
    return { type: 'SharedArrayBuffer', buffer };
  }

  beginView(): Serialized {
    return undefined;
  }

  endView(
    _begun: Serialized, constructor: TypedArrayName | 'DataView', byteOffset: number, length: number | null, buffer: Serialized,
  ): Serialized {
    return { type: 'ArrayBufferView', constructor, buffer: buffer as ObjectRecord, byteOffset, length };
  }

  map(copied: unknown[]): Serialized {
    return { type: 'Map', entries: copied as Serialized[] };
  }

  set(copied: unknown[]): Serialized {
    return { type: 'Set', values: copied as Serialized[] };
  }

  listItem(copied: unknown[], index: number, item: Serialized): void {
    copied[index] = item;
  }

  error(name: ErrorName, message: string | undefined, stack: string | undefined, hasCause: boolean): Serialized {
    return errorRecord(name, message, stack, hasCause);
  }

  errorCause(error: Serialized, cause: Serialized): void {
    (error as Mutable<ErrorRecord>).cause = cause;
  }

  object(): Serialized {
    return { type: 'Object', properties: [] };
  }

  array(length: number): Serialized {
    return { type: 'Array', length, properties: [] };
  }

  key(): void {
    // Records keep the key with the value (property).
  }

  // Records' own arrays are filled by assignment, for speed: an accessor defined on an index of
  // Array.prototype (which breaks most code anyway) would see them being filled.
  property(container: Serialized, key: string, value: Serialized): void {
    const { properties } = container as ContainerRecord;
    properties[properties.length] = [key, value] as PropertyRecord;
  }

  hole(): void {
    // A missing property is a hole.
  }

  end(): void {
    // Nothing to close.
  }

  blob(blob: Blob): Serialized {
    return { type: 'Blob', blob };
  }

  file(file: File): Serialized {
    return { type: 'File', file };
  }

  domException(name: string, message: string): Serialized {
    return { type: 'DOMException', name, message };
  }
}

/** The record of a primitive wrapper (Boolean, Number, BigInt, String object). */
export function wrapperRecord(value: boolean | number | bigint | string): ObjectRecord {
  switch (typeof value) {
    case 'boolean': return { type: 'Boolean', value };
    case 'number': return { type: 'Number', value };
    case 'bigint': return { type: 'BigInt', value };
    default: return { type: 'String', value };
  }
}

/** An Error record; its cause, if it has one, is set afterwards (it may be the error itself). */
export function errorRecord(name: ErrorName, message: string | undefined, stack: string | undefined, hasCause: boolean): ObjectRecord {
  const record: Mutable<ErrorRecord> = { type: 'Error', name, hasCause };
  if (message !== undefined) record.message = message;
  if (stack !== undefined) record.stack = stack;
  return record;
}
