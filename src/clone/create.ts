// The values StructuredDeserialize creates, one function per kind, made from this realm's
// intrinsics as captured at load: shared by the record deserializer (deserialize.ts) and the
// wire's direct decoder (src/wire/build.ts), so that both create exactly the same objects.
// https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserialize

import { dataCloneError } from '../errors.ts';
import type { ErrorName } from './records.ts';
import {
  ArrayCtor, ArrayPrototype, BlobCtor, BlobTypeGetter, DateCtor, defineProperty, DOMExceptionCtor, ErrorCtor,
  errorConstructors, FileCtor, FileLastModifiedGetter, FileNameGetter, getOwnPropertyDescriptor, hasOwnProperty,
  MapCtor, MapPrototypeSet, nativeStructuredClone, ObjectCtor, ReflectDeleteProperty, RegExpCtor, SetCtor, SetPrototypeAdd,
} from './intrinsics.ts';

export { MapPrototypeSet as mapSet, SetPrototypeAdd as setAdd };

/** OrdinaryObjectCreate(%Object.prototype%). */
export function createObject(): Record<string, unknown> {
  return {};
}

/** ArrayCreate(length): holes stay holes. */
export function createArray(length: number): unknown[] {
  return new ArrayCtor<unknown>(length);
}

export function createMap(): Map<unknown, unknown> {
  return new MapCtor<unknown, unknown>();
}

export function createSet(): Set<unknown> {
  return new SetCtor<unknown>();
}

export function createDate(time: number): Date {
  return new DateCtor(time);
}

/** Boolean, Number, BigInt, String objects: a new wrapper (ToObject) of this realm. */
export function createWrapper(value: boolean | number | bigint | string): object {
  return ObjectCtor(value);
}

/** Throws SyntaxError for a pattern or flags this engine rejects. */
export function createRegExp(source: string, flags: string): RegExp {
  return new RegExpCtor(source, flags);
}

export function createDOMException(name: string, message: string): DOMException {
  return new DOMExceptionCtor(message, name);
}

/**
 * Can CreateDataProperty(target, key, value), on a new object whose prototype is `proto`, be done
 * by plain assignment? Yes unless the prototype chain has the key (the `__proto__` setter, a
 * read-only or accessor property of a frozen or patched prototype). A caller may keep the answer
 * while no user code can run.
 */
export function isAssignable(proto: object, key: string): boolean {
  return !(key in proto);
}

/** CreateDataProperty(target, key, value) where plain assignment would not do. */
export function defineDataProperty(target: object, key: string | number, value: unknown): void {
  defineProperty(target, key, dataDescriptor(value));
}

/** CreateDataProperty(target, key, value) on a new object whose prototype is `proto`. */
export function createDataProperty(target: object, proto: object, key: string, value: unknown): void {
  if (isAssignable(proto, key)) (target as Record<string, unknown>)[key] = value;
  else defineDataProperty(target, key, value);
}

/** CreateDataProperty for an array element, by number. */
export function createElement(array: unknown[], index: number, value: unknown): void {
  if (index in ArrayPrototype) defineDataProperty(array, index, value);
  else array[index] = value;
}

/** A null-prototype descriptor: an inherited `get` on Object.prototype cannot turn it into an accessor. */
function dataDescriptor(value: unknown): PropertyDescriptor {
  return { __proto__: null, value, writable: true, enumerable: true, configurable: true } as PropertyDescriptor;
}

function defineHidden(target: object, key: string, value: unknown): void {
  defineProperty(target, key, { __proto__: null, value, writable: true, enumerable: false, configurable: true } as PropertyDescriptor);
}

/**
 * OrdinaryObjectCreate(the prototype named by [[Name]], « [[ErrorData]] »), then message and
 * stack: own, non-enumerable, writable, configurable data properties.
 */
export function createError(name: ErrorName, message: string | undefined, stack: string | undefined): Error {
  const ctor = hasOwnProperty(errorConstructors, name) ? errorConstructors[name] : ErrorCtor;
  const error = constructError(ctor);
  if (message !== undefined) defineHidden(error, 'message', `${message}`);
  if (stack !== undefined) defineHidden(error, 'stack', stack);
  else ReflectDeleteProperty(error, 'stack');
  return error;
}

/** The error's cause, defined as message is (after the error is in memory: a cause may be the error itself). */
export function setErrorCause(error: Error, cause: unknown): void {
  defineHidden(error, 'cause', cause);
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
export function sharedArrayBufferOver(buffer: SharedArrayBuffer): SharedArrayBuffer {
  if (nativeStructuredClone !== undefined) return nativeStructuredClone(buffer) as SharedArrayBuffer;
  // DEVIATION(31): without a native structuredClone the same SharedArrayBuffer object is returned
  // instead of a new object over the same memory.
  return buffer;
}

/** A new Blob over the same bytes, synchronously (Blobs are immutable). */
export function newBlob(blob: Blob): Blob {
  if (BlobTypeGetter === undefined) throw blobMissing('Blob');
  return createBlob(blob, BlobTypeGetter(blob));
}

/** A new File (never a subclass) with the same bytes, name, type and lastModified. */
export function newFile(file: File): File {
  if (BlobTypeGetter === undefined || FileNameGetter === undefined || FileLastModifiedGetter === undefined) throw blobMissing('File');
  return createFile(file, BlobTypeGetter(file), FileNameGetter(file), FileLastModifiedGetter(file));
}

/** A new Blob of one part, a Blob or bytes (copied: the new Blob never aliases them). */
export function createBlob(part: BlobPart, type: string): Blob {
  if (BlobCtor === undefined) throw blobMissing('Blob');
  return new BlobCtor(onePart(part), { __proto__: null, type } as BlobPropertyBag);
}

export function createFile(part: BlobPart, type: string, name: string, lastModified: number): File {
  if (FileCtor === undefined) throw blobMissing('File');
  return new FileCtor(onePart(part), name, { __proto__: null, type, lastModified } as FilePropertyBag);
}

/**
 * The sequence<BlobPart> of one part, iterated without Array.prototype[Symbol.iterator] or
 * %ArrayIteratorPrototype%.next, which user code may have replaced: the constructor runs none.
 */
function onePart(part: BlobPart): BlobPart[] {
  let done = false;
  const iterator = {
    __proto__: null,
    next: () => {
      const result = { __proto__: null, done, value: done ? undefined : part };
      done = true;
      return result;
    },
  };
  return { __proto__: null, [SymbolIterator]: () => iterator } as unknown as BlobPart[];
}
const SymbolIterator = Symbol.iterator;

function blobMissing(name: string): DOMException {
  return dataCloneError(`${name} is not available in this realm.`);
}
