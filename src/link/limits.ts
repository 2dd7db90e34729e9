// What a link accepts and how long it waits: documented options with defaults, each with the
// threat or failure it stops. Times are milliseconds of the injected Clock.

import { resolveLimitOptions } from '../util/limits.ts';

export interface LinkLimits {
  /** Largest frame accepted (and built), in bytes. Stops a peer from making us parse and hold one unbounded frame; a transport should enforce it before reading (ws maxPayload). The default fits one message of the wire's default maxBytes (64 MiB) plus the frame header. */
  readonly maxFrameBytes: number;
  /** Most bytes sent to one peer and not yet acknowledged. Stops a peer that stops reading (or a dead one within the grace period) from growing our memory without bound: past it the peer is lost (ENTANGLE_LINK_RESEND_OVERFLOW). */
  readonly maxUnackedBytes: number;
  /** Longest a handshake may take. Stops slowloris: a connection that sends nothing, or a byte at a time, holding a handshake slot forever. */
  readonly handshakeTimeoutMs: number;
  /** How often an idle link sends a ping. Keeps the peer's heartbeat timeout from firing on a quiet but healthy link. */
  readonly heartbeatIntervalMs: number;
  /** Silence after which a transport is taken for dead. Stops a stopped process or a half-open socket from holding a peer forever: it is noticed in seconds, not never. */
  readonly heartbeatTimeoutMs: number;
  /** How long a link waits for a new transport after one drops before the peer is lost. Lets a reconnecting WebSocket or a NATS failover resume without losing a message; bounds how long a dead peer's state is kept. */
  readonly graceMs: number;
  /** Longest a received message goes unacknowledged when nothing is sent back to piggyback the ack on. Keeps the sender's resend buffer (and bufferedAmount) from waiting on traffic that may never come. */
  readonly ackDelayMs: number;
}

export type LinkLimitOptions = { readonly [K in keyof LinkLimits]?: number };

export const DEFAULT_LINK_LIMITS: LinkLimits = Object.freeze({
  maxFrameBytes: 64 * 1024 * 1024 + 1024,
  maxUnackedBytes: 128 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 3_000,
  graceMs: 10_000,
  ackDelayMs: 10,
});

/** Smallest maxFrameBytes: every control frame, and a message of a few hundred bytes, must fit. */
export const MIN_FRAME_BYTES = 256;
/** Largest maxFrameBytes: the hello carries it as 4 bytes. */
export const MAX_FRAME_BYTES = 0xffff_ffff;


/** The defaults with `options` applied. A value that is not a finite non-negative number is a TypeError; inconsistent ones a RangeError. */
export function resolveLinkLimits(options: LinkLimitOptions | undefined): LinkLimits {
  const limits = resolveLimitOptions('Link', DEFAULT_LINK_LIMITS, options, true);
  if (!Number.isInteger(limits.maxFrameBytes) || limits.maxFrameBytes < MIN_FRAME_BYTES || limits.maxFrameBytes > MAX_FRAME_BYTES) {
    throw new RangeError(`Link limit maxFrameBytes must be an integer from ${MIN_FRAME_BYTES} to ${MAX_FRAME_BYTES}.`);
  }
  if (limits.heartbeatIntervalMs <= 0 || limits.heartbeatTimeoutMs <= limits.heartbeatIntervalMs) {
    throw new RangeError('Link limits need 0 < heartbeatIntervalMs < heartbeatTimeoutMs.');
  }
  return limits;
}
