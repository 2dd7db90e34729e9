// entangle/wire: the wire format on its own (docs/protocol.md). `encode` / `decode` for values
// without transferables; `encodeWithTransfer` / `decodeWithTransfer` for the routing layer.

export {
  asWireError, decode, decodeWithTransfer, DEFAULT_LIMITS, encode, encodeWithTransfer, WIRE_VERSION,
  type DecodePlatformState, type EncodePlatformState, type WireLimitOptions, type WireLimits,
} from './wire/index.ts';
export { EntangleError, type EntangleErrorCode } from './errors.ts';
