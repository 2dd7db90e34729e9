// Encoding: clone records (src/clone/records.ts) to bytes, walking the record graph depth-first
// with an explicit stack (records may nest deeper than the call stack). Every object record takes
// the next object index when its tag is written; meeting it again writes a back-reference.
// Layouts: docs/protocol.md.

import { dataCloneError } from '../errors.ts';
import type { ObjectRecord, PropertyRecord, Serialized, TransferDataHolder } from '../clone/records.ts';
import { ErrorFlag, ERROR_NAMES, HolderKind, Tag, VIEW_CONSTRUCTORS, WIRE_VERSION } from './tags.ts';
import {
  abort, begin, ensure, finish, writeBigInt, writeByte, writeBytes, writeFloat64, writeNumber, writeString, writeTagVarint,
  writeVarint,
} from './writer.ts';

/** A platform holder's state as bytes, made by the routing layer before encoding starts. */
export interface EncodedPlatformHolder {
  readonly interfaceName: string;
  readonly bytes: Uint8Array;
}

/** What goes into the holder table: ArrayBuffer holders as they are, platform holders already as bytes. */
export type EncodableHolder = Exclude<TransferDataHolder, { type: 'platform' }> | EncodedPlatformHolder;

/** Object record → its object index. Reused between messages (cleared after each). */
const objectIndex = new Map<ObjectRecord, number>();
/** Key string → its index in the message's key table. */
const keyIndex = new Map<string, number>();

const ERROR_NAME_BYTES = new Map(ERROR_NAMES.map((name, i) => [name, i]));
const VIEW_BYTES = new Map(VIEW_CONSTRUCTORS.map((name, i) => [name, i]));

/** Pending work: the items [next, end) of a list, as properties (key + value), values of properties, or values. */
const Work = { Properties: 0, Elements: 1, Values: 2 } as const;
type Work = (typeof Work)[keyof typeof Work];

interface Frame {
  work: Work;
  list: readonly unknown[];
  next: number;
  end: number;
}

/** The explicit stack; frames are reused. */
const frames: Frame[] = [];
let depth = 0;

/** A whole message: version, holder table, root value. */
export function encodeMessage(root: Serialized, holders: readonly EncodableHolder[]): Uint8Array {
  begin();
  try {
    writeByte(WIRE_VERSION);
    writeVarint(holders.length);
    for (let i = 0; i < holders.length; i++) writeHolder(holders[i] as EncodableHolder);
    writeRoot(root);
    return finish();
  } catch (error) {
    abort();
    throw error;
  } finally {
    objectIndex.clear();
    keyIndex.clear();
    for (let i = 0; i < depth; i++) (frames[i] as Frame).list = EMPTY;
    depth = 0;
  }
}

const EMPTY: readonly unknown[] = [];

function writeHolder(holder: EncodableHolder): void {
  if ('interfaceName' in holder) {
    writeByte(HolderKind.Platform);
    writeString(holder.interfaceName);
    writeVarint(holder.bytes.length);
    writeBytes(holder.bytes);
  } else if (holder.type === 'ResizableArrayBuffer') {
    writeByte(HolderKind.ResizableArrayBuffer);
    writeVarint(holder.data.byteLength);
    writeVarint(holder.maxByteLength);
    writeBytes(new Uint8Array(holder.data));
  } else {
    writeByte(HolderKind.ArrayBuffer);
    writeVarint(holder.data.byteLength);
    writeBytes(new Uint8Array(holder.data));
  }
}

function push(work: Work, list: readonly unknown[], next: number, end: number): void {
  if (next >= end) return;
  let frame = frames[depth];
  if (frame === undefined) frames[depth] = frame = { work, list, next, end };
  else {
    frame.work = work;
    frame.list = list;
    frame.next = next;
    frame.end = end;
  }
  depth++;
}

function writeRoot(root: Serialized): void {
  writeValue(root);
  while (depth > 0) {
    const frame = frames[depth - 1] as Frame;
    if (frame.next >= frame.end) {
      frame.list = EMPTY;
      depth--;
      continue;
    }
    const item = frame.list[frame.next++];
    switch (frame.work) {
      case Work.Properties:
        writeKey((item as PropertyRecord)[0]);
        writeValue((item as PropertyRecord)[1]);
        break;
      case Work.Elements:
        writeValue((item as PropertyRecord)[1]);
        break;
      default:
        writeValue(item as Serialized);
    }
  }
}

/** Writes a value; an object record's children are pushed on the stack, to be written next. */
function writeValue(value: Serialized): void {
  switch (typeof value) {
    case 'string':
      writeString(value);
      return;
    case 'number':
      writeNumber(value);
      return;
    case 'boolean':
      writeByte(value ? Tag.True : Tag.False);
      return;
    case 'undefined':
      writeByte(Tag.Undefined);
      return;
    case 'bigint':
      writeBigInt(value);
      return;
    default:
      if (value === null) writeByte(Tag.Null);
      else writeRecord(value);
  }
}

/**
 * A property key: a canonical array index ("0", "17") as an integer, a key seen before in this
 * message as a reference to its first occurrence, any other as a string (entering the key table).
 */
function writeKey(key: string): void {
  const first = key.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) {
    const index = arrayIndexOf(key);
    if (index >= 0) {
      writeNumber(index);
      return;
    }
  }
  const known = keyIndex.get(key);
  if (known !== undefined) {
    writeTagVarint(Tag.KeyRef, known);
    return;
  }
  keyIndex.set(key, keyIndex.size);
  writeString(key);
}

/** The array index a key names (a canonical decimal below 2^32 − 1), else −1. */
function arrayIndexOf(key: string): number {
  const n = key.length;
  if (n > 10 || (n > 1 && key.charCodeAt(0) === 0x30)) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = key.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value < 0xffffffff ? value : -1;
}

function writeRecord(record: ObjectRecord): void {
  const known = objectIndex.get(record);
  if (known !== undefined) {
    writeTagVarint(Tag.BackRef, known);
    return;
  }
  objectIndex.set(record, objectIndex.size);
  switch (record.type) {
    case 'Object': {
      const { properties } = record;
      writeTagVarint(Tag.Object, properties.length);
      push(Work.Properties, properties, 0, properties.length);
      return;
    }
    case 'Array': {
      const { length, properties } = record;
      // Dense when the first `length` properties are exactly the elements 0…length-1, in order.
      const last = properties[length - 1];
      if (length > 0 && last !== undefined && last[0] === `${length - 1}`) {
        writeTagVarint(Tag.ArrayDense, length);
        writeVarint(properties.length - length);
        // The extra properties after the elements: pushed first, so written after them.
        push(Work.Properties, properties, length, properties.length);
        push(Work.Elements, properties, 0, length);
      } else {
        writeTagVarint(Tag.ArraySparse, length);
        writeVarint(properties.length);
        push(Work.Properties, properties, 0, properties.length);
      }
      return;
    }
    case 'Date':
      writeByte(Tag.Date);
      writeFloat64(record.value);
      return;
    case 'Map': {
      const { entries } = record;
      writeTagVarint(Tag.Map, entries.length >> 1);
      push(Work.Values, entries, 0, entries.length & ~1);
      return;
    }
    case 'Set': {
      const { values } = record;
      writeTagVarint(Tag.Set, values.length);
      push(Work.Values, values, 0, values.length);
      return;
    }
    case 'Boolean':
      writeByte(Tag.BooleanObject);
      writeByte(record.value ? 1 : 0);
      return;
    case 'Number':
      writeByte(Tag.NumberObject);
      writeFloat64(record.value);
      return;
    case 'BigInt':
      writeByte(Tag.BigIntObject);
      writeBigInt(record.value);
      return;
    case 'String':
      writeByte(Tag.StringObject);
      writeString(record.value);
      return;
    case 'RegExp':
      writeByte(Tag.RegExp);
      writeString(record.source);
      writeString(record.flags);
      return;
    case 'ArrayBuffer': {
      const { data } = record;
      writeTagVarint(Tag.ArrayBuffer, data.byteLength);
      writeBytes(new Uint8Array(data));
      return;
    }
    case 'ResizableArrayBuffer': {
      const { data } = record;
      writeTagVarint(Tag.ResizableArrayBuffer, data.byteLength);
      writeVarint(record.maxByteLength);
      writeBytes(new Uint8Array(data));
      return;
    }
    case 'ArrayBufferView': {
      const ctor = VIEW_BYTES.get(record.constructor);
      if (ctor === undefined) throw dataCloneError(`${String(record.constructor)} cannot be encoded.`);
      ensure(2);
      writeByte(Tag.ArrayBufferView);
      writeByte(ctor);
      writeVarint(record.byteOffset);
      // 0 = length-tracking, else length + 1.
      writeVarint(record.length === null ? 0 : record.length + 1);
      // The buffer: a leaf (or a back-reference), so written right here.
      writeRecord(record.buffer);
      return;
    }
    case 'Error': {
      const name = ERROR_NAME_BYTES.get(record.name) ?? 0;
      const flags = (record.message !== undefined ? ErrorFlag.Message : 0) | (record.stack !== undefined ? ErrorFlag.Stack : 0) |
        (record.hasCause ? ErrorFlag.Cause : 0);
      writeByte(Tag.Error);
      writeByte(name);
      writeByte(flags);
      if (record.message !== undefined) writeString(record.message);
      if (record.stack !== undefined) writeString(record.stack);
      if (record.hasCause) writeValue(record.cause);
      return;
    }
    case 'DOMException':
      writeByte(Tag.DOMException);
      writeString(record.name);
      writeString(record.message);
      return;
    case 'Transferred':
      writeTagVarint(Tag.Transferred, record.index);
      return;
    case 'SharedArrayBuffer':
      throw dataCloneError('A SharedArrayBuffer cannot be encoded: shared memory cannot leave its agent cluster.');
    case 'Blob':
    case 'File':
      throw dataCloneError(
        `A ${record.type} cannot be encoded synchronously: its bytes are read asynchronously by the link layer (docs/protocol.md).`,
      );
    default: {
      const unreachable: never = record;
      throw dataCloneError(`Unknown record ${String((unreachable as { type?: unknown }).type)}.`);
    }
  }
}
