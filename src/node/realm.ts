// This thread or process as a node: one RealmNode per JS realm, made on first use, with the
// host's timers unref'd (an idle link's heartbeat must not keep the process alive), the event
// loop kept alive exactly while a ref'd, listening port is entangled across a link (Node's
// MessagePort convention), and the ports other nodes introduce handed to whoever waits for them.

import type { EntangleError } from '../errors.ts';
import type { Clock } from '../link/clock.ts';
import type { NodeId } from '../link/node-id.ts';
import { RealmNode } from '../realm/realm-node.ts';
import type { MessagePort } from '../spec/message-port.ts';

/** The host's timers, unref'd: heartbeats and ack timers run while the process runs, and never keep it running. */
const unrefClock: Clock = {
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

type Waiter = (port: MessagePort) => void;
/** Per peer node: who waits for the next port it introduces (connect(), a worker's bootstrap), oldest first. */
const waiters = new Map<NodeId, Waiter[]>();
/** Per peer node: who is told when it is lost (servers count, workers report). */
const lossListeners = new Map<NodeId, Set<(error: EntangleError) => void>>();
/** Ports a peer introduced before anyone waited for them (the waiter registers after its handshake resolves). */
const early = new Map<NodeId, MessagePort[]>();
/** Most early ports kept per peer: past it they are closed (a peer introducing ports nobody asked for). */
const MAX_EARLY = 16;

let realm: RealmNode | null = null;

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

/** This realm's node. */
export function localRealm(): RealmNode {
  if (realm !== null) return realm;
  const node = new RealmNode({
    clock: unrefClock,
    keepAlive: (alive) => {
      portsAlive = alive;
      updateKeeper();
    },
    peerLost: (peer, error) => {
      waiters.delete(peer);
      for (const port of early.get(peer) ?? []) port.close();
      early.delete(peer);
      const listeners = lossListeners.get(peer);
      lossListeners.delete(peer);
      if (listeners !== undefined) for (const listener of listeners) listener(error);
    },
    detached: (peer, error) => mesh?.detached(peer, error),
    reach: (node) => mesh?.reach(node) ?? false,
  });
  node.addEventListener('connect', (event) => {
    const { origin, ports } = event as MessageEvent;
    const port = ports[0] as unknown as MessagePort;
    const from = origin.slice('entangle:'.length);
    const queue = waiters.get(from);
    const waiter = queue?.shift();
    if (queue !== undefined && queue.length === 0) waiters.delete(from);
    if (waiter !== undefined) return waiter(port);
    let list = early.get(from);
    if (list === undefined) early.set(from, (list = []));
    if (list.length < MAX_EARLY) list.push(port);
    else port.close();
  });
  realm = node;
  return node;
}

/** The next port `peer` introduces to this node. */
export function nextIntroduction(peer: NodeId): Promise<MessagePort> {
  const list = early.get(peer);
  const port = list?.shift();
  if (list !== undefined && list.length === 0) early.delete(peer);
  if (port !== undefined) return Promise.resolve(port);
  return new Promise((resolve) => {
    let queue = waiters.get(peer);
    if (queue === undefined) waiters.set(peer, (queue = []));
    queue.push(resolve);
  });
}

/** Forget a waiter that gave up (the peer was lost first). */
export function cancelIntroductions(peer: NodeId): void {
  waiters.delete(peer);
}

/** Calls `listener` once if `peer` is lost; returns a function that stops listening. */
export function onPeerLost(peer: NodeId, listener: (error: EntangleError) => void): () => void {
  let set = lossListeners.get(peer);
  if (set === undefined) lossListeners.set(peer, (set = new Set()));
  set.add(listener);
  return () => {
    lossListeners.get(peer)?.delete(listener);
  };
}
