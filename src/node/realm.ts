// This thread or process as a node: one RealmNode per JS realm, made on first use, with the
// host's timers unref'd (an idle link's heartbeat must not keep the process alive), the event
// loop kept alive exactly while a ref'd, listening port is entangled across a link (Node's
// MessagePort convention); the ports other nodes introduce are handed out by host-realm.ts.

import { EntangleError } from '../errors.ts';
import type { Clock } from '../link/clock.ts';
import { resolveLinkLimits, type LinkLimitOptions } from '../link/limits.ts';
import type { NodeId } from '../link/node-id.ts';
import { makeHostRealm, type HostRealm } from '../realm/host-realm.ts';
import type { RealmNode } from '../realm/realm-node.ts';
import { resolveRelayLimits, type RelayLimitOptions } from '../realm/relay.ts';
import { resolveRoutingLimits, type RoutingLimitOptions } from '../routing/limits.ts';
import { afterQueuedTasks } from '../spec/event-loop.ts';
import type { MessagePort } from '../spec/message-port.ts';

/** The host's timers, unref'd: heartbeats and ack timers run while the process runs, and never keep it running. */
export const unrefClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Holds the event loop open; one handle for the whole realm (ports, pending connects, workers starting). */
let keeper: NodeJS.Timeout | null = null;
/** Reasons to stay alive besides ports: handshakes and bootstraps in progress. */
let pending = 0;
let portsAlive = false;

function updateKeeper(): void {
  const alive = portsAlive || pending > 0;
  if (alive && keeper === null) keeper = setInterval(() => {}, 0x7fff_ffff);
  else if (!alive && keeper !== null) {
    clearInterval(keeper);
    keeper = null;
  }
}

/** Keeps the process alive until the returned function is called (once). */
export function holdOpen(): () => void {
  pending++;
  updateKeeper();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pending--;
    updateKeeper();
  };
}

let host: HostRealm | null = null;

/** The limits of this thread's or process's node (README, "Limits"); any left out keep their defaults. */
export interface NodeLimitOptions {
  /** Each link's: maxFrameBytes, maxUnackedBytes, handshakeTimeoutMs, heartbeatIntervalMs, heartbeatTimeoutMs, graceMs, ackDelayMs. */
  readonly link?: LinkLimitOptions;
  /** What the routing core accepts from other nodes: maxPortsPerMessage, maxPayloadBytes, maxForwards, … */
  readonly routing?: RoutingLimitOptions;
  /** Relaying between nodes with no link: maxRelayHops, maxRoutes. */
  readonly relay?: RelayLimitOptions;
}

let limits: NodeLimitOptions = {};

/**
 * Sets the limits of this thread's or process's node, before anything makes it (the first
 * Worker, listen, connect or join; a worker's own node is made before its module runs, so a
 * worker gets its parent's limits instead). Checked at once: a value that is not a non-negative
 * number is a TypeError, inconsistent ones a RangeError; too late is ENTANGLE_ALREADY_STARTED.
 */
export function configure(options: NodeLimitOptions): void {
  if (host !== null) {
    throw new EntangleError('ENTANGLE_ALREADY_STARTED', 'configure(): this node already exists; call it before the first Worker, listen, connect or join.');
  }
  if (typeof options !== 'object' || options === null) throw new TypeError('configure() takes an object of limits.');
  const { link, routing, relay } = options;
  resolveLinkLimits(link);
  resolveRoutingLimits(routing);
  resolveRelayLimits(relay);
  limits = {
    ...(link === undefined ? {} : { link: { ...link } }),
    ...(routing === undefined ? {} : { routing: { ...routing } }),
    ...(relay === undefined ? {} : { relay: { ...relay } }),
  };
}

/** The limits configure() set (what a Worker hands its worker). */
export function configuredLimits(): NodeLimitOptions {
  return limits;
}

/** What a joined NATS mesh adds to this realm's node (src/nats/mesh.ts): direct links to any node of the mesh, and dialling again after a transport broke. */
export interface MeshHooks {
  reach(node: NodeId): Promise<boolean> | false;
  detached(peer: NodeId, error: EntangleError): void;
}

let mesh: MeshHooks | null = null;

/** The mesh this realm's node belongs to (null: none). */
export function setMeshHooks(hooks: MeshHooks | null): void {
  mesh = hooks;
}

function hostRealm(): HostRealm {
  host ??= makeHostRealm({
    ...(limits.link === undefined ? {} : { linkLimits: limits.link }),
    ...(limits.routing === undefined ? {} : { routingLimits: limits.routing }),
    ...(limits.relay === undefined ? {} : { relayLimits: limits.relay }),
    clock: unrefClock,
    // Flush links after the message tasks already queued (up to 16), not after each (one task per
    // message): answers from many handlers in a row share frames (docs/protocol.md, "Batching").
    schedule: afterQueuedTasks,
    keepAlive: (alive) => {
      portsAlive = alive;
      updateKeeper();
    },
    detached: (peer, error) => mesh?.detached(peer, error),
    reach: (node) => mesh?.reach(node) ?? false,
  });
  return host;
}

/** This realm's node. */
export function localRealm(): RealmNode {
  return hostRealm().node;
}

/** The next port `peer` introduces to this node. */
export function nextIntroduction(peer: NodeId): Promise<MessagePort> {
  return hostRealm().nextIntroduction(peer);
}

/** The next port `peer` introduces; rejects with ENTANGLE_CONNECT_FAILED if `peer` is lost first. */
export function introduction(peer: NodeId, where: string): Promise<MessagePort> {
  return hostRealm().introduction(peer, where);
}

/** Forget who waits for `peer`'s next introduction (they gave up: a timeout). */
export function cancelIntroductions(peer: NodeId): void {
  hostRealm().cancelIntroductions(peer);
}

/** Calls `listener` once if `peer` is lost; returns a function that stops listening. */
export function onPeerLost(peer: NodeId, listener: (error: EntangleError) => void): () => void {
  return hostRealm().onPeerLost(peer, listener);
}
