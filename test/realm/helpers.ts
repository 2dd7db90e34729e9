// Nodes in one process, linked by in-memory transports, for the realm tests and for running the
// spec's own tests over ports whose peers are on another node.

import { RealmNode, type RealmNodeOptions } from '../../src/realm/realm-node.ts';
import type { MessagePort } from '../../src/spec/message-port.ts';
import { memoryTransportPair, type MemoryTransport } from '../../src/transports/memory.ts';

// The host's timers, unref'd (entangle/node's): an idle link's heartbeat must not keep a test process alive.
import { unrefClock } from '../../src/node/realm.ts';

export { unrefClock };

/** `count` nodes, each pair linked by an in-memory transport. */
export async function linkedNodes(count = 2, options: RealmNodeOptions = {}): Promise<RealmNode[]> {
  const nodes = Array.from({ length: count }, () => new RealmNode({ clock: unrefClock, ...options }));
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) await link(nodes[i]!, nodes[j]!);
  }
  return nodes;
}

const transports = new WeakMap<RealmNode, MemoryTransport[]>();

/** The in-memory transports a node was linked with (to sever them). */
export function transportsOf(node: RealmNode): MemoryTransport[] {
  return transports.get(node) ?? [];
}

/** Link two nodes (again, after a sever) over a fresh in-memory transport pair. */
export async function link(a: RealmNode, b: RealmNode, options: { graceMs?: number } = {}): Promise<[MemoryTransport, MemoryTransport]> {
  const pair = memoryTransportPair();
  for (const [node, end] of [[a, pair[0]], [b, pair[1]]] as const) {
    const list = transports.get(node) ?? [];
    list.push(end);
    transports.set(node, list);
  }
  await Promise.all([a.attach(pair[0], { role: 'dial', expectedPeer: b.id, ...options }), b.attach(pair[1], { role: 'accept', ...options })]);
  return pair;
}

/** A port on `a` entangled with one on `b` (the one `b` receives in its `connect` event). */
export async function remotePair(a: RealmNode, b: RealmNode): Promise<[MessagePort, MessagePort]> {
  const arrived = new Promise<MessagePort>((resolve) => {
    b.addEventListener('connect', (event) => resolve((event as MessageEvent).ports[0] as unknown as MessagePort), { once: true });
  });
  const port = a.openPort(b.id);
  return [port, await arrived];
}

/** A message event as entangle's ports fire it (its ports are entangle ports). */
export type PortMessageEvent = Omit<MessageEvent, 'ports'> & { readonly ports: readonly MessagePort[] };

/** The next `type` event at `target`. */
export function next<T extends Event | PortMessageEvent = PortMessageEvent>(target: EventTarget, type = 'message'): Promise<T> {
  return new Promise((resolve) => target.addEventListener(type, (event) => resolve(event as T), { once: true }));
}

/** `n` message events' data from `port` (started). */
export function collect(port: MessagePort, n: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  return new Promise((resolve) => {
    port.addEventListener('message', (event) => {
      seen.push((event as MessageEvent).data);
      if (seen.length === n) resolve(seen);
    });
    port.start();
  });
}

/** Let links, tasks and timers of a few turns run. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
