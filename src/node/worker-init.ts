// What a Worker tells the worker it starts (src/node/worker.ts → src/node/worker-main.ts).

import type { NodeLimitOptions } from './realm.ts';

/** The worker thread's workerData key, and the child process's environment variable, carrying the WorkerInit. */
export const BOOTSTRAP_ENV = 'ENTANGLE_WORKER';

/** The child process's file descriptor of the link's socket pair (3 is Node's IPC channel). */
export const LINK_FD = 4;

export interface WorkerInit {
  /** The module to run, as a URL. */
  readonly url: string;
  readonly name: string;
  /** The parent's configure() limits: the worker's node is made with them, before its module runs. */
  readonly limits: NodeLimitOptions;
}

export function isWorkerInit(value: unknown): value is WorkerInit {
  if (typeof value !== 'object' || value === null) return false;
  const init = value as WorkerInit;
  return typeof init.url === 'string' && typeof init.name === 'string' && typeof init.limits === 'object' && init.limits !== null;
}
