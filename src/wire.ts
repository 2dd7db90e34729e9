// entangle/wire: the wire format on its own (docs/protocol.md). `encode` / `decode` for values
// without transferables; `encodeWithTransfer` / `decodeWithTransfer`
// (and `encodeWithTransferAsync`, for messages holding Blobs or Files) for the routing layer.

export {
  asWireError, decode, decodeWithTransfer, DEFAULT_LIMITS, encode, encodeWithTransfer, encodeWithTransferAsync, WIRE_VERSION,
  type DecodePlatformState, type EncodePlatformState, type WireLimitOptions, type WireLimits,
} from './wire/index.ts';
export { EntangleError, type EntangleErrorCode } from './errors.ts';
