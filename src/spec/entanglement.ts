// Entangling two ports, and disentangling them: where `close` propagates to the other port.
// https://html.spec.whatwg.org/multipage/web-messaging.html#entangle
// https://html.spec.whatwg.org/multipage/web-messaging.html#disentangle

import { discardTransferDataHolders } from '../clone/index.ts';
import { queueTask } from './event-loop.ts';
import { CloseTask, type MessagePortData } from './message-port-data.ts';

/** Entangle two ports (item 6): each becomes the other's peer, leaving any old peer first. */
export function entangle(a: MessagePortData, b: MessagePortData): void {
  // 1. If one of the ports is already entangled, disentangle it from its old peer.
  if (a.peer !== null) disentangle(a);
  if (b.peer !== null) disentangle(b);
  // 2. Associate the two ports.
  a.peer = b;
  b.peer = a;
  a.updateRetention();
  b.updateRetention();
}

/**
 * Disentangle (item 7): break the association, then fire `close` at the *other* port, never
 * at the initiator (item 27).
 * DEVIATION(step 4): `close` is fired from a task queued now rather than synchronously, so that
 * messages the initiator posted before closing, already queued as tasks at the other port, are
 * dispatched first, as they are when the peer is on another node (docs/deviations.md).
 */
export function disentangle(initiator: MessagePortData): void {
  // 1–2. Let otherPort be the port initiatorPort was entangled with.
  const other = initiator.peer;
  if (other === null) return;
  // 3. Disentangle the two ports.
  initiator.peer = null;
  other.peer = null;
  initiator.updateRetention();
  other.updateRetention();
  // 4. Fire an event named close at otherPort.
  queueTask(new CloseTask(other));
}

/**
 * close() on a port, or a port that is garbage collected, or dropped inside a message that
 * will never be delivered (item 25, 26): the port is done for good. Messages still queued at it
 * are dropped, and ports inside them closed in turn, so their peers learn too.
 */
export function closePort(data: MessagePortData): void {
  if (data.closed) return;
  data.closed = true;
  data.enabled = false;
  disentangle(data);
  for (const message of data.queue.drain()) discardTransferDataHolders(message.transferDataHolders);
  const route = data.route;
  if (route !== null) {
    // The peer is on another node: the routing layer tells it, and drops what waits here.
    data.route = null;
    data.dropRouted();
    route.close();
  }
  data.updateRetention();
}
