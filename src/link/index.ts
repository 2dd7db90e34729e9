// The link layer: a reliable, ordered, authenticated pipe of byte messages between two nodes,
// over any transport that moves frames. Routing is its only user.

export type { FrameTransport } from './transport.ts';
export { Links, type AttachOptions, type LinksDelegate, type LinksOptions, type LinkStats } from './links.ts';
export type { LinkState } from './link.ts';
export { DEFAULT_LINK_LIMITS, resolveLinkLimits, type LinkLimitOptions, type LinkLimits } from './limits.ts';
export { ManualClock, microtaskSchedule, systemClock, type Clock } from './clock.ts';
export { isNodeId, randomNodeId, type NodeId } from './node-id.ts';
export { LINK_VERSION } from './frames.ts';
