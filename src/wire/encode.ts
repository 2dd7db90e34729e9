// Encoding. The byte layout of every value lives in ByteSink (byte-sink.ts), which is fed two ways:
// - encodeValue: the clone layer's own serialization walk (serializeInto, the spec's steps) writes
//   straight to bytes: no records, one copy of each buffer;
// - encodeMessage: a walk over clone records (a message serialized with transfer on its node, sent
//   later), depth-first with an explicit stack (records may nest deeper than the call stack).
// Every object takes the next object index when its tag is written; meeting it again writes a
// back-reference. Layouts: docs/protocol.md.

import { dataCloneError } from '../errors.ts';
import { serializeInto } from '../clone/index.ts';
import { BlobTypeGetter, FileLastModifiedGetter, FileNameGetter } from '../clone/intrinsics.ts';
import type { ObjectRecord, PropertyRecord, Serialized, TransferDataHolder } from '../clone/records.ts';
import { ByteSink, NO_INDEX, type Deferred, type DeferredBlob } from './byte-sink.ts';
import { HolderKind, WIRE_VERSION } from './tags.ts';
import { abort, begin, finish, resume, suspend, writeByte, writeBytes, writeString, writeVarint } from './writer.ts';

/** A platform holder's state as bytes, made by the routing layer before encoding starts. */
export interface EncodedPlatformHolder {
  readonly interfaceName: string;
  readonly bytes: Uint8Array;
}

/** What goes into the holder table: ArrayBuffer holders as they are, platform holders already as bytes. */
export type EncodableHolder = Exclude<TransferDataHolder, { type: 'platform' }> | EncodedPlatformHolder;

/** The bytes of each Blob / File record of a message, read before encoding (encodeWithTransferAsync). */
export type BlobBytes = ReadonlyMap<ObjectRecord, Uint8Array>;

/** The sink of the message being written; a getter that encodes meanwhile gets a new one. */
const idleSink = new ByteSink();

/**
 * A value (without transferables) as a message: version, empty holder table, then
 * StructuredSerializeInternal writing bytes as it goes. Getters run in the spec's order and may
 * themselves encode (a nested message gets a sink and an output chunk of its own).
 */
export function encodeValue(value: unknown): Uint8Array {
  return writeMessage(value, null, undefined);
}

/** A whole message from records: version, holder table, root value; Blob / File records need their bytes. */
export function encodeMessage(root: Serialized, holders: readonly EncodableHolder[], blobs?: BlobBytes): Uint8Array {
  return writeMessage(root, holders, blobs);
}

/** A value as a message for another node: encodeValue, except that Blobs and Files get a place, filled by spliceBlobs once their bytes are read. */
export interface DeferredMessage {
  /** The message; whole when `blobs` is empty. */
  readonly bytes: Uint8Array;
  /** In order of their places. */
  readonly blobs: readonly DeferredBlob[];
}

/**
 * encodeValue for a message that goes to another node: the same bytes as encoding the records of
 * StructuredSerializeWithTransfer(value, []) (encodeWithTransfer), made in one walk, with no
 * records in between. A Blob or File, whose bytes can only be read asynchronously, is noted with
 * its place instead of refused, so that the walk (and every getter in it) runs exactly once; a
 * SharedArrayBuffer is refused (DataCloneError) after the walk, as encoding its records would be.
 */
export function encodeValueDeferring(value: unknown): DeferredMessage {
  const deferred: Deferred = { blobs: [], refused: null };
  const bytes = writeMessage(value, null, undefined, deferred);
  return { bytes, blobs: deferred.blobs };
}

/** The whole message: `message` with the bytes of each of its Blobs and Files (`contents`, in order) written in their places. */
export function spliceBlobs(message: DeferredMessage, contents: readonly Uint8Array[]): Uint8Array {
  const { bytes, blobs } = message;
  const sink = startMessage();
  try {
    let from = 0;
    for (let i = 0; i < blobs.length; i++) {
      const { at, blob, isFile } = blobs[i] as DeferredBlob;
      writeBytes(bytes.subarray(from, at));
      writeReadBlob(sink, blob, isFile, contents[i] as Uint8Array);
      from = at;
    }
    writeBytes(bytes.subarray(from));
    return finish();
  } catch (error) {
    abort();
    throw error;
  } finally {
    endMessage(sink);
  }
}

/** A Blob or File whose bytes were read: its type (and a File's name and time) from the object, which is immutable. */
function writeReadBlob(sink: ByteSink, blob: Blob, isFile: boolean, bytes: Uint8Array): number {
  const type = (BlobTypeGetter as (b: unknown) => string)(blob);
  if (!isFile) return sink.blobBytes(type, bytes);
  return sink.fileBytes(type, bytes, (FileNameGetter as (f: unknown) => string)(blob), (FileLastModifiedGetter as (f: unknown) => number)(blob));
}

/** With `holders` null, `root` is a value for the serialization walk; otherwise records. */
function writeMessage(root: unknown, holders: readonly EncodableHolder[] | null, blobs: BlobBytes | undefined, deferred: Deferred | null = null): Uint8Array {
  const sink = startMessage();
  sink.deferred = deferred;
  try {
    writeByte(WIRE_VERSION);
    if (holders === null) {
      writeByte(0);
      serializeInto(root, sink, sink.memory);
      if (deferred?.refused != null) throw deferred.refused;
    } else {
      writeVarint(holders.length);
      for (let i = 0; i < holders.length; i++) writeHolder(holders[i] as EncodableHolder);
      new RecordWalk(sink, blobs).write(root as Serialized);
    }
    return finish();
  } catch (error) {
    abort();
    throw error;
  } finally {
    endMessage(sink);
  }
}

/** The sink for a new message; one begun while another is being written sets that one aside. */
function startMessage(): ByteSink {
  let sink = idleSink;
  if (sink.busy) {
    sink = new ByteSink();
    sink.outer = suspend();
  }
  sink.busy = true;
  begin();
  return sink;
}

function endMessage(sink: ByteSink): void {
  sink.busy = false;
  sink.deferred = null;
  sink.reset();
  if (sink.outer !== undefined) resume(sink.outer);
}

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

/** Pending work: the items [next, end) of a list, as properties (key + value), values of properties, or values. */
const Work = { Properties: 0, Elements: 1, Values: 2 } as const;
type Work = (typeof Work)[keyof typeof Work];

interface Frame {
  readonly work: Work;
  readonly list: readonly unknown[];
  readonly container: number;
  next: number;
  readonly end: number;
}

/** A record graph, depth-first, into a ByteSink. */
class RecordWalk {
  /** Object record → its object index. */
  private readonly objectIndex = new Map<ObjectRecord, number>();
  private readonly frames: Frame[] = [];

  constructor(private readonly sink: ByteSink, private readonly blobs: BlobBytes | undefined) {}

  write(root: Serialized): void {
    const { frames, sink } = this;
    this.writeValue(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as Frame;
      if (frame.next >= frame.end) {
        frames.pop();
        continue;
      }
      const item = frame.list[frame.next++];
      switch (frame.work) {
        case Work.Properties:
          sink.key(frame.container, (item as PropertyRecord)[0]);
          this.writeValue((item as PropertyRecord)[1]);
          break;
        case Work.Elements:
          this.writeValue((item as PropertyRecord)[1]);
          break;
        default:
          this.writeValue(item as Serialized);
      }
    }
  }

  private push(work: Work, list: readonly unknown[], container: number, next: number, end: number): void {
    if (next < end) this.frames.push({ work, list, container, next, end });
  }

  /** Writes a value; an object record's children are pushed on the stack, to be written next. */
  private writeValue(value: Serialized): void {
    if (typeof value === 'object' && value !== null) this.writeRecord(value);
    else this.sink.primitive(value);
  }

  private writeRecord(record: ObjectRecord): void {
    const { sink, objectIndex } = this;
    const known = objectIndex.get(record);
    if (known !== undefined) {
      sink.reference(known);
      return;
    }
    switch (record.type) {
      case 'Object': {
        const { properties } = record;
        const index = sink.object(properties.length);
        objectIndex.set(record, index);
        this.push(Work.Properties, properties, index, 0, properties.length);
        return;
      }
      case 'Array': {
        const { length, properties } = record;
        // Dense when the first `length` properties are exactly the elements 0…length-1, in order.
        const last = properties[length - 1];
        const dense = length > 0 && last !== undefined && last[0] === `${length - 1}` ? length : 0;
        const index = sink.array(length, properties.length, dense);
        objectIndex.set(record, index);
        // The extra properties after the elements: pushed first, so written after them.
        this.push(Work.Properties, properties, index, dense, properties.length);
        this.push(Work.Elements, properties, index, 0, dense);
        return;
      }
      case 'Map': {
        const { entries } = record;
        objectIndex.set(record, sink.map(entries));
        this.push(Work.Values, entries, NO_INDEX, 0, entries.length & ~1);
        return;
      }
      case 'Set': {
        const { values } = record;
        objectIndex.set(record, sink.set(values));
        this.push(Work.Values, values, NO_INDEX, 0, values.length);
        return;
      }
      case 'ArrayBufferView': {
        const index = sink.beginView(record.constructor, record.byteOffset, record.length);
        objectIndex.set(record, index);
        // The buffer: a leaf (or a back-reference), so written right here.
        this.writeRecord(record.buffer);
        return;
      }
      case 'Error': {
        objectIndex.set(record, sink.error(record.name, record.message, record.stack, record.hasCause));
        // The cause as a list of one (ByteSink writes it right after the error): a chain of
        // causes nests as deep as any container, so it goes on the explicit stack too.
        if (record.hasCause) this.push(Work.Values, [record.cause], NO_INDEX, 0, 1);
        return;
      }
      default:
        objectIndex.set(record, this.writeLeaf(record));
    }
  }

  /** A record with no values inside: its object index. */
  private writeLeaf(record: Exclude<ObjectRecord, { type: 'Object' | 'Array' | 'Map' | 'Set' | 'ArrayBufferView' | 'Error' }>): number {
    const { sink } = this;
    switch (record.type) {
      case 'Date': return sink.date(record.value);
      case 'Boolean':
      case 'Number':
      case 'BigInt':
      case 'String':
        return sink.wrapper(record.value);
      case 'RegExp': return sink.regExp(record.source, record.flags);
      case 'ArrayBuffer': return sink.arrayBuffer(record.data);
      case 'ResizableArrayBuffer': return sink.resizableArrayBuffer(record.data, record.maxByteLength);
      case 'DOMException': return sink.domException(record.name, record.message);
      case 'Transferred': return sink.transferred(record.index);
      case 'SharedArrayBuffer': return sink.sharedArrayBuffer();
      case 'Blob':
      case 'File':
        return this.writeBlob(record);
      default: {
        const unreachable: never = record;
        throw dataCloneError(`Unknown record ${String((unreachable as { type?: unknown }).type)}.`);
      }
    }
  }

  private writeBlob(record: Extract<ObjectRecord, { type: 'Blob' | 'File' }>): number {
    const bytes = this.blobs?.get(record);
    if (record.type === 'Blob') return bytes === undefined ? this.sink.blob(record.blob) : writeReadBlob(this.sink, record.blob, false, bytes);
    return bytes === undefined ? this.sink.file(record.file) : writeReadBlob(this.sink, record.file, true, bytes);
  }
}
