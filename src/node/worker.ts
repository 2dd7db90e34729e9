// The web Worker shape over a Node worker thread or child process. The Worker talks to the
// worker's `parentPort` through an ordinary entangle port pair: one end stays here (its events
// are re-fired at the Worker), the other is transferred to the worker over the link as soon as
// the link is up — messages posted before that travel with it, as queued messages do.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { EntangleError } from '../errors.ts';
import { EventHandlerSlot, setEventHandler } from '../spec/event-handler.ts';
import { MessageChannel } from '../spec/message-channel.ts';
import { MessageEvent } from '../spec/message-event.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { markTrusted } from '../spec/trusted-event.ts';
import type { FrameTransport } from '../link/transport.ts';
import { SocketTransport } from '../transports/socket.ts';
import { WorkerPortTransport } from '../transports/worker-port.ts';
import { ErrorEvent } from './error-event.ts';
import { configuredLimits, holdOpen, localRealm } from './realm.ts';
import { BOOTSTRAP_ENV, LINK_FD, type WorkerInit } from './worker-init.ts';

export interface WorkerOptions {
  /** 'thread' (default): a worker_threads Worker. 'process': a child process running this Node.js. */
  readonly type?: 'thread' | 'process';
  readonly name?: string;
  /** Appended to the worker's process.argv. */
  readonly argv?: readonly string[];
  /** The worker's environment (default: this process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Node.js options for the worker (default: this process's execArgv). */
  readonly execArgv?: readonly string[];
}

const bootstrapUrl = new URL(`./worker-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class Worker extends EventTarget {
  readonly #port: MessagePort;
  readonly #handlers = { message: new EventHandlerSlot(), messageerror: new EventHandlerSlot(), error: new EventHandlerSlot() };
  readonly #exit: Promise<number>;
  readonly #kill: () => void;
  readonly #ref: (on: boolean) => void;

  constructor(url: string | URL, options: WorkerOptions = {}) {
    super();
    const moduleUrl = resolveModuleUrl(url);
    const type = options.type ?? 'thread';
    if (type !== 'thread' && type !== 'process') throw new TypeError(`Worker: type must be 'thread' or 'process', not ${String(type)}.`);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    // The Worker's own handle keeps this process alive (Node's convention), not its port.
    port1.unref();
    for (const kind of ['message', 'messageerror'] as const) {
      port1.addEventListener(kind, (event) => {
        const { data, ports } = event as unknown as MessageEvent;
        this.dispatchEvent(markTrusted(new MessageEvent(kind, { data, ports: ports as unknown as MessagePort[] })));
      });
    }
    port1.addEventListener('close', () => this.dispatchEvent(markTrusted(new Event('close'))));
    port1.start();
    const init: WorkerInit = { url: moduleUrl, name: options.name ?? '', limits: configuredLimits() };
    let transport: FrameTransport;
    let exited: Promise<number>;
    if (type === 'thread') {
      const worker = new ThreadWorker(bootstrapUrl, {
        workerData: { [BOOTSTRAP_ENV]: init },
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.argv === undefined ? {} : { argv: [...options.argv] }),
        ...(options.env === undefined ? {} : { env: { ...options.env } }),
        ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }),
      });
      transport = new WorkerPortTransport(worker);
      worker.on('error', (error) => this.#reportError(error));
      exited = new Promise((resolve) => worker.once('exit', resolve));
      this.#kill = () => void worker.terminate();
      this.#ref = (on) => (on ? worker.ref() : worker.unref());
    } else {
      const child = spawnProcess(init, options);
      const pipe = child.stdio[LINK_FD] as Socket;
      pipe.unref();
      transport = new SocketTransport(pipe);
      child.on('message', (message) => {
        if (isErrorReport(message)) this.#reportError(Object.assign(new Error(message.message), { name: message.name, stack: message.stack }));
      });
      child.on('error', (error) => this.#reportError(error));
      exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0))));
      });
      this.#kill = () => void child.kill('SIGTERM');
      this.#ref = (on) => {
        if (on) child.ref();
        else child.unref();
        child.channel?.unref();
      };
    }
    this.#exit = exited;
    void this.#link(transport, port2, exited);
  }

  /** Runs the link, then hands the worker its parentPort. A worker that exits first leaves the port closed. */
  async #link(transport: FrameTransport, port: MessagePort, exited: Promise<number>): Promise<void> {
    // Until the port is handed over it is not yet entangled across a link, so nothing else keeps
    // this process alive for it: a listener on the other end must not see the process exit first.
    const release = holdOpen();
    try {
      await this.#handOver(transport, port, exited);
    } finally {
      release();
    }
  }

  async #handOver(transport: FrameTransport, port: MessagePort, exited: Promise<number>): Promise<void> {
    const realm = localRealm();
    let child: string;
    try {
      child = await Promise.race([
        realm.attach(transport, { role: 'dial', graceMs: 0 }),
        exited.then((code) => Promise.reject(new EntangleError('ENTANGLE_WORKER_FAILED', `The worker exited with code ${code} before its link came up.`))),
      ]);
    } catch (error) {
      transport.close();
      port.close();
      if (!(error instanceof EntangleError && error.code === 'ENTANGLE_WORKER_FAILED')) this.#reportError(error);
      return;
    }
    const bootstrap = realm.openPort(child);
    bootstrap.postMessage(null, [port]);
    bootstrap.close();
  }

  #reportError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const event = markTrusted(new ErrorEvent('error', { message, error, cancelable: true }));
    // As HTML reports a worker's uncaught exception: to the Worker, then to the console unless handled.
    if (this.dispatchEvent(event)) console.error('Uncaught error in worker:', error);
  }

  postMessage(message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
    (this.#port.postMessage as (message: unknown, transfer?: unknown) => void)(message, transfer);
  }

  /** Stops the worker (a thread is terminated, a process sent SIGTERM); resolves with its exit code. */
  terminate(): Promise<number> {
    this.#kill();
    return this.#exit;
  }

  /** Node's convention: a ref'd Worker keeps this process alive while it runs (the default). */
  ref(): void {
    this.#ref(true);
  }

  unref(): void {
    this.#ref(false);
  }

  get onmessage(): unknown {
    return this.#handlers.message.value;
  }
  set onmessage(value: unknown) {
    setEventHandler(this, 'message', this.#handlers.message, value);
  }
  get onmessageerror(): unknown {
    return this.#handlers.messageerror.value;
  }
  set onmessageerror(value: unknown) {
    setEventHandler(this, 'messageerror', this.#handlers.messageerror, value);
  }
  get onerror(): unknown {
    return this.#handlers.error.value;
  }
  set onerror(value: unknown) {
    setEventHandler(this, 'error', this.#handlers.error, value);
  }
}

function resolveModuleUrl(url: string | URL): string {
  if (url instanceof URL) return url.href;
  if (typeof url !== 'string') throw new TypeError('Worker: the module must be a URL or a path.');
  if (/^(file|data):/.test(url)) return new URL(url).href;
  // A path, as Node's Worker takes it: relative to the working directory.
  return pathToFileURL(url).href;
}

function spawnProcess(init: WorkerInit, options: WorkerOptions): ChildProcess {
  const env = { ...(options.env ?? process.env), [BOOTSTRAP_ENV]: JSON.stringify(init) };
  const args = [...(options.execArgv ?? process.execArgv), fileURLToPath(bootstrapUrl), ...(options.argv ?? [])];
  // fd 3: Node's IPC channel, only for uncaught errors; fd 4: the link, a plain socket pair.
  return spawn(process.execPath, args, { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'], serialization: 'json' });
}

interface ErrorReport {
  readonly entangle: 'error';
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

function isErrorReport(value: unknown): value is ErrorReport {
  return typeof value === 'object' && value !== null && (value as ErrorReport).entangle === 'error';
}

export type { ErrorReport };
