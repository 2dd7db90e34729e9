// What every host's "this realm as a node" needs besides the RealmNode itself (entangle/node makes
// one per thread or process, entangle/browser one per page or worker): the ports a peer node
// introduces, handed to whoever waits for them in order, and who is told when a peer is lost.

import { EntangleError } from '../errors.ts';
import type { NodeId } from '../link/node-id.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { RealmNode, type RealmNodeOptions } from './realm-node.ts';

/** Most ports a peer may introduce before anyone waits for them: past it they are closed (a peer introducing ports nobody asked for). */
const MAX_EARLY = 16;

type Waiter = (port: MessagePort) => void;

export interface HostRealm {
  readonly node: RealmNode;
  /** The next port `peer` introduces to this node. */
  nextIntroduction(peer: NodeId): Promise<MessagePort>;
  /** The next port `peer` introduces; rejects with ENTANGLE_CONNECT_FAILED (naming `where`) if `peer` is lost first. */
  introduction(peer: NodeId, where: string): Promise<MessagePort>;
  /** Forget the waiters for `peer` (they gave up). */
  cancelIntroductions(peer: NodeId): void;
  /** Calls `listener` once if `peer` is lost; returns a function that stops listening. */
  onPeerLost(peer: NodeId, listener: (error: EntangleError) => void): () => void;
}

/** A RealmNode for this host, with the introduction and loss bookkeeping around it. */
export function makeHostRealm(options: Omit<RealmNodeOptions, 'peerLost'>): HostRealm {
  /** Per peer node: who waits for the next port it introduces, oldest first. */
  const waiters = new Map<NodeId, Waiter[]>();
  /** Per peer node: who is told when it is lost. */
  const lossListeners = new Map<NodeId, Set<(error: EntangleError) => void>>();
  /** Ports a peer introduced before anyone waited for them (a waiter registers after its handshake resolves). */
  const early = new Map<NodeId, MessagePort[]>();

  const node = new RealmNode({
    ...options,
    peerLost: (peer, error) => {
      waiters.delete(peer);
      for (const port of early.get(peer) ?? []) port.close();
      early.delete(peer);
      const listeners = lossListeners.get(peer);
      lossListeners.delete(peer);
      if (listeners !== undefined) for (const listener of listeners) listener(error);
    },
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

  const nextIntroduction = (peer: NodeId): Promise<MessagePort> => {
    const list = early.get(peer);
    const port = list?.shift();
    if (list !== undefined && list.length === 0) early.delete(peer);
    if (port !== undefined) return Promise.resolve(port);
    return new Promise((resolve) => {
      let queue = waiters.get(peer);
      if (queue === undefined) waiters.set(peer, (queue = []));
      queue.push(resolve);
    });
  };
  const cancelIntroductions = (peer: NodeId): void => {
    waiters.delete(peer);
  };
  const onPeerLost = (peer: NodeId, listener: (error: EntangleError) => void): (() => void) => {
    let set = lossListeners.get(peer);
    if (set === undefined) lossListeners.set(peer, (set = new Set()));
    set.add(listener);
    return () => {
      lossListeners.get(peer)?.delete(listener);
    };
  };
  const introduction = (peer: NodeId, where: string): Promise<MessagePort> => new Promise<MessagePort>((resolve, reject) => {
    const stop = onPeerLost(peer, (error) => {
      cancelIntroductions(peer);
      reject(new EntangleError('ENTANGLE_CONNECT_FAILED', `${where} closed the link before opening a port: ${error.message}`, { cause: error }));
    });
    void nextIntroduction(peer).then((port) => {
      stop();
      resolve(port);
    });
  });
  return { node, nextIntroduction, introduction, cancelIntroductions, onPeerLost };
}
