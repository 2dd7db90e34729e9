// What a node accepts from other nodes: documented options with defaults, each with the threat
// it stops. The routing events are checked against these by decodeEvent and by Node.acceptEvent.

import { resolveLimitOptions } from '../util/limits.ts';

/** Routing limits. Every field is optional in the options a caller passes; missing ones take the default. */
export interface RoutingLimits {
  /** Most ports in one user message. Stops one message from making the receiving node create unbounded numbers of ports. */
  readonly maxPortsPerMessage: number;
  /** Largest user-message payload, in bytes. Stops one event from making a node hold an arbitrarily large buffer. */
  readonly maxPayloadBytes: number;
  /**
   * Most times one message is passed on by proxies. Stops a message from circling for ever when
   * it carries the port it is addressed to through other ports (or a cycle of such messages):
   * past it the message is doomed, as HTML dooms a message that carries its own target port.
   */
  readonly maxForwards: number;
  /**
   * Most pending requests to become a port's sender (`requestAccept` events waiting for the
   * port's current sender to hand over). Stops nodes that know a port's id from filling its
   * memory with requests that will never be honoured; one is pending per handover in honest use.
   */
  readonly maxPendingAccepts: number;
  /**
   * Most open ports that one other node introduced here (`introduce`, the bootstrap). Stops a
   * node from making this node hold unboundedly many ports it never asked for.
   */
  readonly maxIntroducedPorts: number;
  /**
   * Lost nodes remembered (the oldest is forgotten first). A port that arrives naming a lost
   * node closes at once instead of waiting for it; this bounds that memory on a long-lived node
   * that meets many short-lived peers.
   */
  readonly maxLostNodes: number;
  /**
   * Closed port ids remembered (the oldest is forgotten first). An event for a port that closed
   * while the event was on its way is `stale`, one for a port this node never had `unknownPort`:
   * lets a node tell a peer that raced a close from one that names ports it never held.
   */
  readonly maxClosedPorts: number;
}

export type RoutingLimitOptions = { readonly [K in keyof RoutingLimits]?: number };

/** The defaults: generous for real traffic, small enough that no peer can take a node down. */
export const DEFAULT_ROUTING_LIMITS: RoutingLimits = Object.freeze({
  maxPortsPerMessage: 1024,
  maxPayloadBytes: 64 * 1024 * 1024,
  maxForwards: 64,
  maxPendingAccepts: 64,
  maxIntroducedPorts: 4096,
  maxLostNodes: 4096,
  maxClosedPorts: 16_384,
});


/** The defaults with `options` applied; an option that is not a non-negative number is a TypeError. */
export function resolveRoutingLimits(options: RoutingLimitOptions | undefined): RoutingLimits {
  return resolveLimitOptions('Routing', DEFAULT_ROUTING_LIMITS, options);
}
