// Incoming events, one handler per type: first the check (is this event from the one port that
// may send it, and does it fit the port's state?), then the state change in core.ts. Anything
// that fails a check is dropped and counted, never thrown (docs/routing.md, "Checks").

import type { Core, ControlEvent, DropReason, LocalEvent, LocalMessage } from './core.ts';
import { NO_PORTS } from './core.ts';
import type {
  AcceptedEvent, IntroduceEvent, ObserveClosureEvent, ObserveProxyAckEvent, ObserveProxyEvent, PortDescriptor,
  RejectedEvent, RequestAcceptEvent, RoutingEvent, UpdatePrevEvent, UserMessageEvent,
} from './events.ts';
import type { NodeId, PortId } from './ids.ts';
import { addressKey, type Lane, type Port } from './port.ts';

/** An event from another node (already checked to be well-formed and not from a lost node). */
export function acceptRemote(core: Core, from: NodeId, event: RoutingEvent): void {
  switch (event.type) {
    case 'userMessage':
      onUserMessage(core, from, event);
      return;
    case 'introduce':
      onIntroduce(core, from, event);
      return;
    default:
      onControl(core, from, event);
  }
}

/** An event one port of this node sent another. */
export function acceptLocal(core: Core, event: LocalEvent): void {
  if (event.type === 'localMessage') onLocalMessage(core, event);
  else onControl(core, core.id, event);
}

function onControl(core: Core, from: NodeId, event: ControlEvent): void {
  switch (event.type) {
    case 'accepted':
      onAccepted(core, from, event);
      return;
    case 'rejected':
      onRejected(core, from, event);
      return;
    case 'requestAccept':
      onRequestAccept(core, from, event);
      return;
    case 'updatePrev':
      onUpdatePrev(core, from, event);
      return;
    case 'observeProxy':
      onObserveProxy(core, from, event);
      return;
    case 'observeProxyAck':
      onObserveProxyAck(core, from, event);
      return;
    case 'observeClosure':
      onObserveClosure(core, from, event);
      return;
    default: {
      const _: never = event;
      core.drop('malformed');
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Forward events: accepted only from the port's prev, once it was told it may send.

/** Why a user message for `port` from `node`/`from` with `seq` cannot be delivered, or null. */
function messageProblem(port: Port | undefined, node: NodeId, from: PortId, seq: number): DropReason | null {
  if (port === undefined) return 'unknownPort';
  if (!port.isPrev(node, from) || !port.prevAccepted) return 'wrongSource';
  // A closed endpoint whose prev has not heard yet: its messages were never going to be read.
  if (port.state === 'closed') return 'stale';
  // After the prev's own closure nothing may follow.
  if (port.inboundEnded) return 'unexpected';
  if (seq !== port.nextReceive) return 'badSequence';
  return null;
}

/**
 * A user message with no ports, as a link's steady-state lane carries it (Node.acceptMessage):
 * exactly what onUserMessage does with a userMessage event with an empty `ports`, without the event.
 */
export function acceptPortlessMessage(core: Core, from: NodeId, to: PortId, fromPort: PortId, seq: number, hops: number, payload: Uint8Array): void {
  const port = core.ports.get(to);
  const problem = messageProblem(port, from, fromPort, seq);
  if (problem !== null || port === undefined) {
    core.drop(problem ?? 'unknownPort', to);
    return;
  }
  // A doomed message keeps its place in the sequence (core.deliver skips it).
  core.deliver(port, { seq, hops, payload, ports: NO_PORTS });
}

function onUserMessage(core: Core, from: NodeId, event: UserMessageEvent): void {
  const port = core.ports.get(event.to);
  let problem = messageProblem(port, from, event.from, event.seq);
  if (problem === null && !descriptorsFit(core, event.ports)) problem = 'malformed';
  // A doomed message keeps its place in the sequence, but its ports are never created.
  const doomed = event.hops > core.limits.maxForwards;
  if (problem !== null || port === undefined) {
    core.drop(problem ?? 'unknownPort', event.to);
    // The ports inside will never be created: their senders must not wait for them.
    rejectDescriptors(core, from, event.ports);
    return;
  }
  if (doomed) {
    rejectDescriptors(core, from, event.ports);
    core.deliver(port, { seq: event.seq, hops: event.hops, payload: event.payload, ports: NO_PORTS });
    return;
  }
  // Every node a message passes accepts its ports (and transfers them again if it forwards it),
  // so that each `accepted` comes from the node the port was sent to.
  const ids = event.ports.length === 0 ? NO_PORTS : event.ports.map((d) => {
    const created = core.createFromDescriptor(from, d);
    created.inMessage = true;
    return created.id;
  });
  core.deliver(port, { seq: event.seq, hops: event.hops, payload: event.payload, ports: ids });
}

function onLocalMessage(core: Core, event: LocalMessage): void {
  const port = core.ports.get(event.to);
  const problem = messageProblem(port, core.id, event.from, event.message.seq);
  if (problem !== null || port === undefined) {
    core.drop(problem ?? 'unknownPort', event.to);
    core.closePorts(event.message.ports);
    return;
  }
  core.deliver(port, event.message);
}

/** New ids that are not in use here and not repeated (a collision of random 128-bit ids means a buggy or hostile sender). */
function descriptorsFit(core: Core, descriptors: readonly PortDescriptor[]): boolean {
  if (descriptors.length === 0) return true;
  const seen = new Set<PortId>();
  for (const d of descriptors) {
    if (core.ports.has(d.port) || seen.has(d.port)) return false;
    seen.add(d.port);
  }
  return true;
}

function rejectDescriptors(core: Core, from: NodeId, descriptors: readonly PortDescriptor[]): void {
  for (const d of descriptors) if (!d.inboundClosed) core.reject(from, d.referrer, d.port);
}

function onUpdatePrev(core: Core, from: NodeId, event: UpdatePrevEvent): void {
  // No rejection is ever sent from here: the named port's own requestAccept gets the one answer
  // (rejected on arrival at a port that is gone or closed, or with the candidates when it closes).
  const port = addressedPort(core, event.to);
  if (port === undefined) return;
  if (!port.isPrev(from, event.from) || !port.prevAccepted) {
    core.drop('wrongSource');
    return;
  }
  if (port.state === 'closed' || port.inboundEnded) {
    core.drop('stale');
    return;
  }
  core.changePrev(port, event.prevNode, event.prevPort);
}

function onObserveProxyAck(core: Core, from: NodeId, event: ObserveProxyAckEvent): void {
  const port = addressedPort(core, event.to);
  if (port === undefined) return;
  if (!port.isPrev(from, event.from) || !port.prevAccepted) {
    core.drop('wrongSource');
    return;
  }
  if (port.state !== 'proxying' || port.observing !== addressKey(from, event.from)) {
    core.drop(port.state === 'closed' ? 'stale' : 'unexpected');
    return;
  }
  // The ack is the prev's last event here and comes on the same link as its messages, after
  // them: the last one it reports has always arrived (and been passed on) already. A prev that
  // reports another number lies about what it sent.
  if (event.lastSeq !== port.nextReceive - 1) {
    core.drop('badSequence');
    return;
  }
  core.removeProxy(port, { node: from, port: event.from });
}

function onObserveClosure(core: Core, from: NodeId, event: ObserveClosureEvent): void {
  const port = addressedPort(core, event.to);
  if (port === undefined) return;
  if (!port.isPrev(from, event.from) || !port.prevAccepted) {
    core.drop('wrongSource');
    return;
  }
  if (port.state === 'closed' || port.inboundEnded) {
    core.drop('stale');
    return;
  }
  core.endInbound(port, event.lastSeq);
}

// -----------------------------------------------------------------------------------------------
// Lane events: accepted only from the port the lane leads to.

function matchLane(port: Port, node: NodeId, from: PortId): Lane | null {
  if (port.lane.is(node, from)) return port.lane;
  const departing = port.departing;
  return departing !== null && departing.is(node, from) ? departing : null;
}

/** The local port an event is addressed to; an unknown one is dropped and counted. */
function addressedPort(core: Core, id: PortId): Port | undefined {
  const port = core.ports.get(id);
  if (port === undefined) core.drop('unknownPort', id);
  return port;
}

/** The lane of `port` toward `node`/`from` that waits for an answer; anything else is dropped and counted. */
function heldLane(core: Core, port: Port, node: NodeId, from: PortId): Lane | null {
  const lane = matchLane(port, node, from);
  if (lane === null || lane.status !== 'held') {
    core.drop(lane === null ? 'wrongSource' : 'unexpected');
    return null;
  }
  return lane;
}

function onAccepted(core: Core, from: NodeId, event: AcceptedEvent): void {
  const port = addressedPort(core, event.to);
  if (port === undefined) return;
  const lane = heldLane(core, port, from, event.from);
  if (lane !== null) core.openLane(port, lane);
}

function onRejected(core: Core, from: NodeId, event: RejectedEvent): void {
  const port = addressedPort(core, event.to);
  if (port === undefined) return;
  const lane = heldLane(core, port, from, event.from);
  if (lane !== null) core.killLane(port, lane);
}

function onObserveProxy(core: Core, from: NodeId, event: ObserveProxyEvent): void {
  const port = addressedPort(core, event.to);
  if (port === undefined) return;
  if (!port.lane.is(from, event.from)) {
    // From the peer before a transfer: the new port's own peer pointer leads there, and the
    // proxy will ask again once updatePrev names its new prev.
    const former = port.formerPeer;
    core.drop(former !== null && former.port === event.from && former.node === from ? 'stale' : 'wrongSource');
    return;
  }
  // A proxy cannot answer for its prev (it does not know what its prev sent the other way); it
  // will be removed, and updatePrev will send the proxy asking to the next port back.
  if (port.state !== 'receiving' || port.inboundEnded) {
    core.drop('stale');
    return;
  }
  if (port.lane.status !== 'open' || (event.targetNode === core.id && event.targetPort === port.id)) {
    core.drop('unexpected');
    return;
  }
  core.repoint(port, event.targetNode, event.targetPort);
}

// -----------------------------------------------------------------------------------------------
// Requests to become a port's prev, and bootstrap.

function onRequestAccept(core: Core, from: NodeId, event: RequestAcceptEvent): void {
  const port = core.ports.get(event.to);
  if (port === undefined || port.state === 'closed' || port.inboundEnded) {
    // Nothing more will come through this port: the requester can never become its prev.
    core.drop(port === undefined ? 'unknownPort' : 'stale', event.to);
    core.reject(from, event.from, event.to);
    return;
  }
  if (port.isPrev(from, event.from)) {
    // updatePrev named it before its request arrived.
    if (port.prevAccepted) core.drop('unexpected');
    else core.acceptPrev(port);
    return;
  }
  const candidates = (port.candidates ??= []);
  if (candidates.some((c) => c.port === event.from && c.node === from)) {
    core.drop('unexpected');
    return;
  }
  if (candidates.length >= core.limits.maxPendingAccepts) {
    core.drop('limit');
    core.reject(from, event.from, event.to);
    return;
  }
  candidates.push({ node: from, port: event.from });
}

function onIntroduce(core: Core, from: NodeId, event: IntroduceEvent): void {
  const d = event.port;
  const count = core.introducedCounts.get(from) ?? 0;
  if (count >= core.limits.maxIntroducedPorts || core.ports.has(d.port)) {
    core.drop(count >= core.limits.maxIntroducedPorts ? 'limit' : 'malformed');
    rejectDescriptors(core, from, [d]);
    return;
  }
  const port = core.createFromDescriptor(from, d);
  port.introducedBy = from;
  core.introducedCounts.set(from, count + 1);
  core.introductions.push({ from, port: port.id });
}
