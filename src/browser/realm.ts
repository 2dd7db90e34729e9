// This page or worker as a node: one RealmNode per browsing context or worker, made on first use,
// on the host's own timers. A page says bye on every link when it goes away for good, so that its
// peers see `close` at once instead of after missed heartbeats.

import { makeHostRealm, type HostRealm } from '../realm/host-realm.ts';
import { afterQueuedTasks } from '../spec/event-loop.ts';

let host: HostRealm | null = null;

interface PageScope {
  readonly document?: unknown;
  addEventListener(type: 'pagehide', listener: (event: { readonly persisted: boolean }) => void): void;
}

/** This context's node, with its introductions (realm/host-realm.ts). */
export function browserRealm(): HostRealm {
  if (host !== null) return host;
  // Links flush after the message tasks already queued: answers from many handlers share frames.
  const made = makeHostRealm({ schedule: afterQueuedTasks });
  host = made;
  const scope = globalThis as unknown as PageScope;
  if (scope.document !== undefined) {
    // A page kept for the back/forward cache may come back: its links stay (heartbeats decide).
    scope.addEventListener('pagehide', (event) => {
      if (!event.persisted) made.node.close();
    });
  }
  return made;
}
