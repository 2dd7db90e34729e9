// The first module of a worker started by entangle's Worker (thread or process): link to the
// parent, receive the implicit port, set `parentPort`, run the worker's module, then enable the
// port (HTML enables the implicit port's queue once the worker's script has run, so messages
// that arrive meanwhile wait instead of finding no listener).

import { Socket, type SocketConstructorOpts } from 'node:net';
import { isMainThread, parentPort as threadParentPort, workerData } from 'node:worker_threads';
import type { FrameTransport } from '../link/transport.ts';
import { MessageEvent } from '../spec/message-event.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { SocketTransport } from '../transports/socket.ts';
import { WorkerPortTransport } from '../transports/worker-port.ts';
import { setParentPort } from './parent-port.ts';
import { configure, holdOpen, localRealm, nextIntroduction, onPeerLost } from './realm.ts';
import type { ErrorReport } from './worker.ts';
import { BOOTSTRAP_ENV, isWorkerInit, LINK_FD, type WorkerInit } from './worker-init.ts';

async function main(): Promise<void> {
  let init: unknown;
  let transport: FrameTransport;
  if (!isMainThread && threadParentPort !== null) {
    init = (workerData as Record<string, unknown> | null)?.[BOOTSTRAP_ENV];
    // Unref'd: the thread lives while its entangle ports keep it alive, as a Node worker does.
    transport = new WorkerPortTransport(threadParentPort, { refed: false });
  } else {
    const raw = process.env[BOOTSTRAP_ENV];
    delete process.env[BOOTSTRAP_ENV];
    init = raw === undefined ? undefined : JSON.parse(raw);
    // The IPC channel only carries error reports: it must not keep the process alive.
    process.channel?.unref();
    process.on('uncaughtException', reportAndExit);
    process.on('unhandledRejection', reportAndExit);
    // Read through `onread` (Node's types do not list it for the constructor, Node does): frames into their own bytes.
    const socket = new SocketTransport((onread) => new Socket({ fd: LINK_FD, readable: true, writable: true, onread } as SocketConstructorOpts));
    socket.unref();
    transport = socket;
  }
  if (!isWorkerInit(init)) throw new TypeError('entangle worker: started without a WorkerInit (use Worker from entangle/node).');
  const { url, name, limits }: WorkerInit = init;
  if (isMainThread && name !== '') process.title = name;
  configure(limits);
  const release = holdOpen();
  const realm = localRealm();
  const parent = await realm.attach(transport, { role: 'accept', graceMs: 0 });
  // A dedicated worker ends with its owner (HTML; Node ends a thread's workers with it): a worker
  // process whose parent is gone exits, whatever else (its own workers, sockets) would keep it running.
  if (isMainThread) onPeerLost(parent, () => process.exit(0));
  // A parent lost before it hands over the port (it exited meanwhile) fails this worker: nothing else would end it.
  const bootstrap = await new Promise<MessagePort>((resolve, reject) => {
    const stop = onPeerLost(parent, reject);
    void nextIntroduction(parent).then((port) => {
      stop();
      resolve(port);
    });
  });
  const port = await new Promise<MessagePort>((resolve, reject) => {
    bootstrap.addEventListener('message', (event) => resolve((event as unknown as MessageEvent).ports[0] as unknown as MessagePort), { once: true });
    bootstrap.addEventListener('close', () => reject(new Error('entangle worker: the parent closed before handing over parentPort.')), { once: true });
    bootstrap.start();
  });
  bootstrap.close();
  setParentPort(port);
  try {
    await import(url);
  } finally {
    port.start();
    release();
  }
}

/** A child process's uncaught exception: the parent's Worker fires `error` with it; the process exits 1, as Node's would. */
function reportAndExit(error: unknown): void {
  const report: ErrorReport = error instanceof Error
    ? { entangle: 'error', name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) }
    : { entangle: 'error', name: 'Error', message: String(error) };
  if (process.send === undefined || !process.connected) process.exit(1);
  process.send(report, () => process.exit(1));
}

try {
  await main();
} catch (error) {
  // A thread's uncaught error reaches the parent's Worker through Node; a process reports it itself.
  if (isMainThread) reportAndExit(error);
  else throw error;
}
