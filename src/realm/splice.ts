// Several nodes in one realm (tests, simulators): a port bound to node X that is sent through a
// port of node Y cannot simply change nodes (a routing port moves only inside a message to its
// new node). It is spliced instead: a new port pair on Y, and a relay that re-posts, in order,
// what arrives on either side to the other, ports included, and closes each side when the other
// closes. In a program there is one node per realm and this never runs.

import type { MessagePortData } from '../spec/message-port-data.ts';
import { createMessagePort, type MessagePort } from '../spec/message-port.ts';

/** Relay between `far` (the moving port's data, bound elsewhere) and `near` (a new local port's data). */
export function splice(far: MessagePortData, near: MessagePortData): void {
  const a = createMessagePort(far);
  const b = createMessagePort(near);
  relay(a, b);
  relay(b, a);
}

function relay(from: MessagePort, to: MessagePort): void {
  from.onmessage = (event: MessageEvent) => to.postMessage(event.data, event.ports as unknown as MessagePort[]);
  from.onmessageerror = () => to.postMessage(undefined);
  from.onclose = () => to.close();
}
