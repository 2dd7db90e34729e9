// `parentPort`: inside a worker started by entangle's Worker, the implicit port to the parent;
// null elsewhere. A live binding: worker-main.ts sets it before the worker's module runs.

import type { MessagePort } from '../spec/message-port.ts';

export let parentPort: MessagePort | null = null;

export function setParentPort(port: MessagePort): void {
  parentPort = port;
}
