// The byte layout of every value: a serialization sink (src/clone/sink.ts) that writes each result
// of the serialization walk as it is made. Fed by the walk itself (encodeValue) and by the walk over
// clone records (encode.ts, RecordWalk). Every object takes the next object index when its tag is
// written. Layouts: docs/protocol.md.

import { dataCloneError } from '../errors.ts';
import type { SerializeSink } from '../clone/index.ts';
import type { ErrorName, Primitive, TypedArrayName } from '../clone/records.ts';
import { KeyTable, SmallMap } from './small-map.ts';
import { arrayIndexOf, ErrorFlag, ERROR_NAMES, Tag, VIEW_CONSTRUCTORS } from './tags.ts';
import {
  patchVarint, reserveVarint, type SuspendedWriter, writeBigInt, writeByte, writeBytes, writeFloat64, writeNumber, writeString,
  writeTagVarint, writeVarint, written,
} from './writer.ts';

const ERROR_NAME_BYTES = new Map(ERROR_NAMES.map((name, i) => [name, i]));
const VIEW_BYTES = new Map(VIEW_CONSTRUCTORS.map((name, i) => [name, i]));

/** Object indices stand for objects; primitives have none. */
export const NO_INDEX = -1;

/** A Blob or File met while writing a message for another node: its place, to be filled once its bytes are read. */
export interface DeferredBlob {
  /** Offset in the message where its value goes. */
  readonly at: number;
  readonly blob: Blob;
  readonly isFile: boolean;
}

/** What a message for another node leaves to do after the walk (encodeValueDeferring). */
export interface Deferred {
  readonly blobs: DeferredBlob[];
  /** A SharedArrayBuffer was met: thrown once the walk is over, as the walk over records would (every getter has run). */
  refused: DOMException | null;
}

/**
 * Writes serialization results as bytes. Its serialized value is the object index (NO_INDEX for a
 * primitive); memory maps each object to it, so meeting an object again writes a back-reference.
 */
export class ByteSink implements SerializeSink<number> {
  /** The next object index. */
  private objects = 0;
  /** Set while a message for another node is written: Blobs, Files and shared memory are noted, not refused at once. */
  deferred: Deferred | null = null;
  /** Key string → its index in the message's key table. */
  private readonly keyIndex = new KeyTable();
  /** Object index of a container → the patchVarint handle of its count. */
  private readonly counts: number[] = [];
  /** The spec's memory for encodeValue, reused between messages. */
  readonly memory = new SmallMap<object, number>();
  busy = false;
  /** The message set aside while this sink's (nested) message is written. */
  outer: SuspendedWriter | undefined = undefined;

  reset(): void {
    this.objects = 0;
    this.keyIndex.clear();
    this.memory.clear();
  }

  primitive(value: Primitive): number {
    // Type tests, not a switch on typeof (see serializePrimitive).
    if (typeof value === 'string') writeString(value);
    else if (typeof value === 'number') writeNumber(value);
    else if (typeof value === 'boolean') writeByte(value ? Tag.True : Tag.False);
    else if (value === undefined) writeByte(Tag.Undefined);
    else if (value === null) writeByte(Tag.Null);
    else writeBigInt(value);
    return NO_INDEX;
  }

  reference(known: number): number {
    writeTagVarint(Tag.BackRef, known);
    return known;
  }

  wrapper(value: boolean | number | bigint | string): number {
    switch (typeof value) {
      case 'boolean':
        writeByte(Tag.BooleanObject);
        writeByte(value ? 1 : 0);
        break;
      case 'number':
        writeByte(Tag.NumberObject);
        writeFloat64(value);
        break;
      case 'bigint':
        writeByte(Tag.BigIntObject);
        writeBigInt(value);
        break;
      default:
        writeByte(Tag.StringObject);
        writeString(value);
    }
    return this.objects++;
  }

  date(time: number): number {
    writeByte(Tag.Date);
    writeFloat64(time);
    return this.objects++;
  }

  regExp(source: string, flags: string): number {
    return this.twoStrings(Tag.RegExp, source, flags);
  }

  arrayBuffer(buffer: ArrayBuffer): number {
    writeTagVarint(Tag.ArrayBuffer, buffer.byteLength);
    writeBytes(new Uint8Array(buffer));
    return this.objects++;
  }

  resizableArrayBuffer(buffer: ArrayBuffer, maxByteLength: number): number {
    writeTagVarint(Tag.ResizableArrayBuffer, buffer.byteLength);
    writeVarint(maxByteLength);
    writeBytes(new Uint8Array(buffer));
    return this.objects++;
  }

  sharedArrayBuffer(): number {
    const error = dataCloneError('A SharedArrayBuffer cannot be encoded: shared memory cannot leave its agent cluster.');
    if (this.deferred === null) throw error;
    this.deferred.refused ??= error;
    return this.objects++;
  }

  beginView(constructor: TypedArrayName | 'DataView', byteOffset: number, length: number | null): number {
    const ctor = VIEW_BYTES.get(constructor);
    if (ctor === undefined) throw dataCloneError(`${String(constructor)} cannot be encoded.`);
    writeByte(Tag.ArrayBufferView);
    writeByte(ctor);
    writeVarint(byteOffset);
    // 0 = length-tracking, else length + 1.
    writeVarint(length === null ? 0 : length + 1);
    // The buffer follows at once: a buffer tag, a back-reference or a transferred value.
    return this.objects++;
  }

  endView(begun: number): number {
    return begun;
  }

  map(copied: unknown[]): number {
    writeTagVarint(Tag.Map, copied.length >> 1);
    return this.objects++;
  }

  set(copied: unknown[]): number {
    writeTagVarint(Tag.Set, copied.length);
    return this.objects++;
  }

  listItem(): void {
    // Written as it was serialized.
  }

  error(name: ErrorName, message: string | undefined, stack: string | undefined, hasCause: boolean): number {
    const flags = (message !== undefined ? ErrorFlag.Message : 0) | (stack !== undefined ? ErrorFlag.Stack : 0) |
      (hasCause ? ErrorFlag.Cause : 0);
    writeByte(Tag.Error);
    writeByte(ERROR_NAME_BYTES.get(name) ?? 0);
    writeByte(flags);
    if (message !== undefined) writeString(message);
    if (stack !== undefined) writeString(stack);
    return this.objects++;
  }

  errorCause(): void {
    // The cause was written right after the error.
  }

  object(keyCount: number): number {
    writeByte(Tag.Object);
    const index = this.objects++;
    this.counts[index] = reserveVarint(keyCount);
    return index;
  }

  /** Dense: the elements follow without keys, then the extra properties; sparse: every property keyed. */
  array(length: number, keyCount: number, dense: number): number {
    writeTagVarint(dense > 0 ? Tag.ArrayDense : Tag.ArraySparse, length);
    const index = this.objects++;
    this.counts[index] = reserveVarint(keyCount - dense);
    return index;
  }

  /**
   * A property key: a canonical array index ("0", "17") as an integer, a key seen before in this
   * message as a reference to its first occurrence, any other as a string (entering the key table).
   */
  key(_container: number, key: string): void {
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39) {
      const index = arrayIndexOf(key);
      if (index >= 0) {
        writeNumber(index);
        return;
      }
    }
    const known = this.keyIndex.indexOf(key);
    if (known >= 0) {
      writeTagVarint(Tag.KeyRef, known);
      return;
    }
    this.keyIndex.add(key);
    writeString(key);
  }

  property(): void {
    // Written as it was serialized.
  }

  hole(): void {
    writeByte(Tag.Hole);
  }

  end(container: number, count: number): void {
    patchVarint(this.counts[container] as number, count);
  }

  blob(blob: Blob): number {
    return this.defer(blob, false);
  }

  file(file: File): number {
    return this.defer(file, true);
  }

  /** Its place is kept (nothing written, its object index taken in order): spliceBlobs writes it there. */
  private defer(blob: Blob, isFile: boolean): number {
    if (this.deferred === null) throw blobRefused(isFile ? 'File' : 'Blob');
    this.deferred.blobs.push({ at: written(), blob, isFile });
    return this.objects++;
  }

  /** A Blob whose bytes were read beforehand: type, size, bytes. */
  blobBytes(type: string, bytes: Uint8Array): number {
    writeByte(Tag.Blob);
    writeBlobBody(type, bytes);
    return this.objects++;
  }

  /** A File whose bytes were read beforehand: as a Blob, then name and lastModified. */
  fileBytes(type: string, bytes: Uint8Array, name: string, lastModified: number): number {
    writeByte(Tag.File);
    writeBlobBody(type, bytes);
    writeString(name);
    writeFloat64(lastModified);
    return this.objects++;
  }

  domException(name: string, message: string): number {
    return this.twoStrings(Tag.DOMException, name, message);
  }

  private twoStrings(tag: number, first: string, second: string): number {
    writeByte(tag);
    writeString(first);
    writeString(second);
    return this.objects++;
  }

  /** A value from the transfer list: an index into the holder table. */
  transferred(holderIndex: number): number {
    writeTagVarint(Tag.Transferred, holderIndex);
    return this.objects++;
  }
}

function writeBlobBody(type: string, bytes: Uint8Array): void {
  writeString(type);
  writeVarint(bytes.length);
  writeBytes(bytes);
}

/** The DataCloneErrors that only mean "this message has a Blob or File: encode it asynchronously". */
const blobRefusals = new WeakSet<object>();

function blobRefused(what: string): DOMException {
  const error = dataCloneError(
    `A ${what} cannot be encoded synchronously: its bytes can only be read asynchronously (encodeWithTransferAsync, docs/protocol.md).`,
  );
  blobRefusals.add(error);
  return error;
}

/** Whether a synchronous encode failed only because the message holds a Blob or File. */
export function needsAsyncEncoding(error: unknown): boolean {
  return typeof error === 'object' && error !== null && blobRefusals.has(error);
}
