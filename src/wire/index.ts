// The wire format's API: values ⇄ bytes for storage and tests (encode / decode), and the
// internal API the routing layer builds on (encodeWithTransfer / decodeWithTransfer, and
// encodeWithTransferAsync for messages holding Blobs or Files), where transferred ArrayBuffers
// travel as bytes in a holder table and platform holders (ports) as bytes the routing layer makes
// and reads through the callbacks it passes.

import { dataCloneError, EntangleError } from '../errors.ts';
import type { ObjectRecord, Serialized, SerializedWithTransfer, TransferDataHolder } from '../clone/records.ts';
import { uncurryThis } from '../clone/intrinsics.ts';
import { RecordBuilder, ValueBuilder } from './build.ts';
import { decodeMessage, type DecodedHolder } from './decode.ts';
import { encodeMessage, encodeValue, encodeValueDeferring, spliceBlobs, type EncodableHolder } from './encode.ts';
import { resolveLimits, type WireLimitOptions } from './limits.ts';
import { wireError } from './reader.ts';

export { DEFAULT_LIMITS, type WireLimits, type WireLimitOptions } from './limits.ts';
export { WIRE_VERSION } from './tags.ts';
export { needsAsyncEncoding } from './byte-sink.ts';

const valueBuilder = new ValueBuilder();
const recordBuilder = new RecordBuilder();

/**
 * A value (without transferables) as bytes: StructuredSerialize writing bytes directly.
 * Throws DataCloneError for what structured clone refuses, and for Blob, File and
 * SharedArrayBuffer, which cannot be encoded synchronously or leave the process.
 * The result may be a view into a larger buffer shared with other results: use its
 * byteOffset / byteLength, not its `buffer` alone.
 */
export function encode(value: unknown): Uint8Array {
  return encodeValue(value);
}

/**
 * Bytes made by `encode` (or Blob / File values made by encodeWithTransferAsync) back to a value:
 * a deep copy equal to structuredClone(value), built directly by StructuredDeserialize's steps.
 * For any input whatever, returns a value or throws an EntangleError whose `code` is one of
 * ENTANGLE_WIRE_TRUNCATED, _UNKNOWN_TAG, _LIMIT, _VERSION, _MALFORMED, _UNSUPPORTED.
 */
export function decode(bytes: Uint8Array, limits?: WireLimitOptions): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode() takes a Uint8Array.');
  const resolved = resolveLimits(limits);
  try {
    return decodeMessage(bytes, resolved, valueBuilder);
  } catch (error) {
    throw asWireError(error);
  }
}

/**
 * The decoder checks everything building could trip on; this is the backstop. A DataCloneError
 * means a valid value this runtime cannot create (Float16Array on Node 20, Blob where there is none).
 */
export function asWireError(error: unknown): EntangleError {
  if (error instanceof EntangleError) return error;
  if (typeof DOMException === 'function' && error instanceof DOMException && error.name === 'DataCloneError') {
    return wireError('ENTANGLE_WIRE_UNSUPPORTED', `Cannot decode: ${error.message}`, error);
  }
  return wireError('ENTANGLE_WIRE_MALFORMED', 'Cannot decode: the records are malformed.', error);
}

// ---------------------------------------------------------------------------------------------
// The routing layer's API.

/**
 * Turns a platform holder's state (a port's id, peer and sequence numbers) into bytes. Called
 * once per platform holder, in order, before any encoding starts (so it may itself use encode()).
 */
export type EncodePlatformState = (interfaceName: string, state: unknown) => Uint8Array;

/**
 * Turns a platform holder's bytes back into state for the interface's transfer-receiving steps.
 * Called once per platform holder, in order, after the whole message has been checked. The
 * bytes are hostile: it must validate them and throw an EntangleError if they are not valid.
 */
export type DecodePlatformState = (interfaceName: string, bytes: Uint8Array) => unknown;

/**
 * StructuredSerializeWithTransfer's result as bytes. ArrayBuffer holders carry their bytes (the
 * buffer was already detached by the transfer); platform holders carry `encodePlatformState`'s
 * bytes. Throws DataCloneError as encode() does (Blob and File included: use
 * encodeWithTransferAsync); on a throw nothing has been written.
 */
export function encodeWithTransfer(message: SerializedWithTransfer, encodePlatformState: EncodePlatformState): Uint8Array {
  return encodeMessage(message.serialized, encodableHolders(message.transferDataHolders, encodePlatformState));
}

/**
 * A message with no transfer list for another node, made in one walk over `value` (no records in
 * between): the bytes encodeWithTransfer would make of StructuredSerializeWithTransfer(value, []).
 * Throws DataCloneError as structured serialization does (for a SharedArrayBuffer, after the whole
 * walk). With Blobs or Files, a promise of the message once their bytes are read and written in
 * their places (rejected with a DataCloneError if one cannot be read); the walk runs once either way.
 */
export function encodeForNode(value: unknown): Uint8Array | Promise<Uint8Array> {
  const message = encodeValueDeferring(value);
  if (message.blobs.length === 0) return message.bytes;
  return Promise.all(message.blobs.map(({ blob, isFile }) => readBlob(blob, isFile ? 'File' : 'Blob')))
    .then((contents) => spliceBlobs(message, contents));
}

/**
 * encodeWithTransfer for a message that may hold Blobs and Files: reads each one's bytes
 * (`arrayBuffer()`), then encodes them with the message (tags 0x22 / 0x23). `encodePlatformState`
 * runs at once, before the first read. A read that fails rejects with a DataCloneError.
 */
export async function encodeWithTransferAsync(
  message: SerializedWithTransfer, encodePlatformState: EncodePlatformState,
): Promise<Uint8Array> {
  const holders = encodableHolders(message.transferDataHolders, encodePlatformState);
  const found = blobRecords(message.serialized);
  if (found.length === 0) return encodeMessage(message.serialized, holders);
  const contents = await Promise.all(found.map((record) => readBlob(record.type === 'Blob' ? record.blob : record.file, record.type)));
  const blobs = new Map<ObjectRecord, Uint8Array>();
  found.forEach((record, i) => blobs.set(record, contents[i] as Uint8Array));
  return encodeMessage(message.serialized, holders, blobs);
}

function encodableHolders(source: readonly TransferDataHolder[], encodePlatformState: EncodePlatformState): EncodableHolder[] {
  const holders: EncodableHolder[] = [];
  for (let i = 0; i < source.length; i++) {
    const holder = source[i] as TransferDataHolder;
    holders.push(holder.type === 'platform'
      ? { interfaceName: holder.interfaceName, bytes: encodePlatformState(holder.interfaceName, holder.state) }
      : holder);
  }
  return holders;
}

type BlobRecord = Extract<ObjectRecord, { type: 'Blob' | 'File' }>;

/** Every Blob and File record of a record graph, once each. */
function blobRecords(root: Serialized): BlobRecord[] {
  const found: BlobRecord[] = [];
  const seen = new Set<ObjectRecord>();
  const stack: Serialized[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    switch (value.type) {
      case 'Object':
      case 'Array':
        for (const property of value.properties) stack.push(property[1]);
        break;
      case 'Map':
        stack.push(...value.entries);
        break;
      case 'Set':
        stack.push(...value.values);
        break;
      case 'Error':
        if (value.hasCause) stack.push(value.cause);
        break;
      case 'Blob':
      case 'File':
        found.push(value);
        break;
      default:
        // No records inside (a view's buffer is never a Blob).
    }
  }
  return found;
}

const BlobArrayBuffer = typeof Blob === 'function' ? uncurryThis(Blob.prototype.arrayBuffer as () => Promise<ArrayBuffer>) : undefined;

async function readBlob(blob: Blob, what: 'Blob' | 'File'): Promise<Uint8Array> {
  try {
    return new Uint8Array(await (BlobArrayBuffer as (b: unknown) => Promise<ArrayBuffer>)(blob));
  } catch (error) {
    const reason = error instanceof Error ? `: ${error.message}` : '';
    throw dataCloneError(`A ${what} could not be read${reason}.`);
  }
}

/**
 * Bytes from encodeWithTransfer (or encodeWithTransferAsync) back to a SerializedWithTransfer,
 * for the routing layer to pass to structuredDeserializeWithTransfer (which may still throw
 * DataCloneError, e.g. for an interface this realm lacks: the spec's messageerror), or to
 * discardTransferDataHolders if the message is dropped. Blob and File values come back as Blob /
 * File records over new Blobs. Throws EntangleError with a wire code for any malformed input.
 */
export function decodeWithTransfer(
  bytes: Uint8Array, decodePlatformState: DecodePlatformState, limits?: WireLimitOptions,
): SerializedWithTransfer {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeWithTransfer() takes a Uint8Array.');
  const resolved = resolveLimits(limits);
  const holders: DecodedHolder[] = [];
  let serialized: Serialized;
  try {
    serialized = decodeMessage(bytes, resolved, recordBuilder, holders) as Serialized;
  } catch (error) {
    throw asWireError(error);
  }
  const transferDataHolders: TransferDataHolder[] = [];
  for (const holder of holders) {
    transferDataHolders.push(holder.type === 'platform'
      ? { type: 'platform', interfaceName: holder.interfaceName, state: decodePlatformState(holder.interfaceName, holder.bytes) }
      : holder);
  }
  return { serialized, transferDataHolders };
}
