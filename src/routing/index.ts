// The routing layer's API: nodes and ports that stay entangled across nodes (Mojo's `ports`
// layer), the events they exchange, and the codec for those events. Pure logic, no I/O.

export { Node, type NodeDelegate, type NodeOptions, type NodeStats, type PortStatus, type RoutedMessage } from './node.ts';
export type { DropReason } from './core.ts';
export type { PortState } from './port.ts';
export {
  isValidEvent,
  type AcceptedEvent, type IntroduceEvent, type ObserveClosureEvent, type ObserveProxyAckEvent, type ObserveProxyEvent,
  type PortDescriptor, type RejectedEvent, type RequestAcceptEvent, type RoutingEvent, type RoutingEventType,
  type UpdatePrevEvent, type UserMessageEvent,
} from './events.ts';
export { decodeEvent, encodeEvent, EventTag } from './codec.ts';
export { isId, randomId, type NodeId, type PortId, type RandomSource } from './ids.ts';
export { DEFAULT_ROUTING_LIMITS, resolveRoutingLimits, type RoutingLimits, type RoutingLimitOptions } from './limits.ts';
