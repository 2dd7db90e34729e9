// What a Worker tells the worker it starts (src/node/worker.ts → src/node/worker-main.ts).

/** The worker thread's workerData key, and the child process's environment variable, carrying the WorkerInit. */
export const BOOTSTRAP_ENV = 'ENTANGLE_WORKER';

/** The child process's file descriptor of the link's socket pair (3 is Node's IPC channel). */
export const LINK_FD = 4;

export interface WorkerInit {
  /** The module to run, as a URL. */
  readonly url: string;
  readonly name: string;
}

export function isWorkerInit(value: unknown): value is WorkerInit {
  return typeof value === 'object' && value !== null && typeof (value as WorkerInit).url === 'string' && typeof (value as WorkerInit).name === 'string';
}
