// What a decoder accepts from bytes it did not make: documented options with defaults, each with
// the threat it stops. Every length field is checked against these and against the bytes left
// before anything is allocated for it.

import { resolveLimitOptions } from '../util/limits.ts';

/** Decoder limits. Every field is optional in the options a caller passes; missing ones take the default. */
export interface WireLimits {
  /** Largest message, in bytes. Stops a peer from making the receiver parse (and hold) arbitrarily large messages. */
  readonly maxBytes: number;
  /** Deepest nesting of objects, arrays, maps, sets and error causes. Stops values so deep that the application's own recursive code (JSON.stringify, a deep-equal, a renderer) overflows its stack. */
  readonly maxDepth: number;
  /** Most values in one message (every object, property, element, entry and primitive counts one). Stops a small message from expanding into a huge heap: one byte on the wire can become a 50-byte object. */
  readonly maxElements: number;
  /** Longest string payload, in encoded bytes. Stops one string from exhausting the engine's string size limit or memory. */
  readonly maxStringLength: number;
  /** Most transferred values (ports and ArrayBuffers) per message. Stops a message from making the routing layer create unbounded numbers of ports. */
  readonly maxTransferables: number;
  /** Sum of the maxByteLength of all resizable ArrayBuffers in one message. Stops a message from reserving huge amounts of address space with tiny buffers that may grow. */
  readonly maxResizableByteLength: number;
}

export type WireLimitOptions = { readonly [K in keyof WireLimits]?: number };

/** The defaults: generous for real messages, small enough that one message cannot take a process down. */
export const DEFAULT_LIMITS: WireLimits = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 10_000,
  maxElements: 1_000_000,
  maxStringLength: 16 * 1024 * 1024,
  maxTransferables: 1024,
  maxResizableByteLength: 256 * 1024 * 1024,
});


/** The defaults with `options` applied; an option that is not a non-negative number is a TypeError. */
export function resolveLimits(options: WireLimitOptions | undefined): WireLimits {
  return resolveLimitOptions('Wire', DEFAULT_LIMITS, options);
}
