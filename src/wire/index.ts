// The wire format's API: values ⇄ bytes for storage and tests (encode / decode), and the
// internal API the routing layer builds on (encodeWithTransfer / decodeWithTransfer), where
// transferred ArrayBuffers travel as bytes in a holder table and platform holders (ports) as
// bytes the routing layer makes and reads through the callbacks it passes.

import { EntangleError } from '../errors.ts';
import { structuredDeserialize, structuredSerialize } from '../clone/index.ts';
import type { Serialized, SerializedWithTransfer, TransferDataHolder } from '../clone/records.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage, type EncodableHolder } from './encode.ts';
import { resolveLimits, type WireLimitOptions } from './limits.ts';
import { wireError } from './reader.ts';

export { DEFAULT_LIMITS, type WireLimits, type WireLimitOptions } from './limits.ts';
export { WIRE_VERSION } from './tags.ts';

const NO_HOLDERS: readonly EncodableHolder[] = [];

/**
 * A value (without transferables) as bytes: StructuredSerialize, then the records as bytes.
 * Throws DataCloneError for what structured clone refuses, and for Blob, File and
 * SharedArrayBuffer, which cannot be encoded synchronously or leave the process.
 * The result may be a view into a larger buffer shared with other results: use its
 * byteOffset / byteLength, not its `buffer` alone.
 */
export function encode(value: unknown): Uint8Array {
  return encodeMessage(structuredSerialize(value), NO_HOLDERS);
}

/**
 * Bytes made by `encode` back to a value: a deep copy equal to structuredClone(value).
 * For any input whatever, returns a value or throws an EntangleError whose `code` is one of
 * ENTANGLE_WIRE_TRUNCATED, _UNKNOWN_TAG, _LIMIT, _VERSION, _MALFORMED, _UNSUPPORTED.
 */
export function decode(bytes: Uint8Array, limits?: WireLimitOptions): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode() takes a Uint8Array.');
  const message = decodeMessage(bytes, resolveLimits(limits));
  if (message.holders.length > 0) {
    throw wireError('ENTANGLE_WIRE_MALFORMED', 'The message carries transferred values: it needs decodeWithTransfer().');
  }
  return deserializeRecords(message.serialized);
}

/** StructuredDeserialize on decoded records, with anything it throws as a wire error. */
function deserializeRecords(serialized: Serialized): unknown {
  try {
    return structuredDeserialize(serialized);
  } catch (error) {
    throw asWireError(error);
  }
}

/**
 * The decoder checks everything deserialization could trip on; this is the backstop. A
 * DataCloneError means a valid value this runtime cannot create (Float16Array on Node 20).
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
 * bytes. Throws DataCloneError as encode() does; on a throw nothing has been written.
 */
export function encodeWithTransfer(message: SerializedWithTransfer, encodePlatformState: EncodePlatformState): Uint8Array {
  const holders: EncodableHolder[] = [];
  const source = message.transferDataHolders;
  for (let i = 0; i < source.length; i++) {
    const holder = source[i] as TransferDataHolder;
    holders.push(holder.type === 'platform'
      ? { interfaceName: holder.interfaceName, bytes: encodePlatformState(holder.interfaceName, holder.state) }
      : holder);
  }
  return encodeMessage(message.serialized, holders);
}

/**
 * Bytes from encodeWithTransfer back to a SerializedWithTransfer, for the routing layer to pass
 * to structuredDeserializeWithTransfer (which may still throw DataCloneError, e.g. for an
 * interface this realm lacks: the spec's messageerror), or to discardTransferDataHolders if the
 * message is dropped. Throws EntangleError with a wire code for any malformed input.
 */
export function decodeWithTransfer(
  bytes: Uint8Array, decodePlatformState: DecodePlatformState, limits?: WireLimitOptions,
): SerializedWithTransfer {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeWithTransfer() takes a Uint8Array.');
  const message = decodeMessage(bytes, resolveLimits(limits));
  const transferDataHolders: TransferDataHolder[] = [];
  for (const holder of message.holders) {
    transferDataHolders.push(holder.type === 'platform'
      ? { type: 'platform', interfaceName: holder.interfaceName, state: decodePlatformState(holder.interfaceName, holder.bytes) }
      : holder);
  }
  return { serialized: message.serialized, transferDataHolders };
}
