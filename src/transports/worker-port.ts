// A FrameTransport over a Node worker_threads endpoint: a MessagePort (including a worker's
// parentPort) or a Worker seen from its parent. One frame per message, posted as a Uint8Array;
// the thread's message queue keeps them whole and in order.

import { Worker, type MessagePort } from 'node:worker_threads';
import { EntangleError } from '../errors.ts';
import { NodeTransportBase, type NodeFrameTransport } from './node-transport.ts';

export interface WorkerPortTransportOptions {
  /** Largest frame accepted, in bytes (default: the link's default maxFrameBytes). The message is already cloned when it is checked: this bounds what the link is handed, not what the thread received. */
  readonly maxFrameBytes?: number;
  /** false: unref the endpoint once listening (attaching a 'message' listener refs a MessagePort), so that it does not keep the event loop alive. Default: as Node leaves it. */
  readonly refed?: boolean;
  /** For a Worker: called with its exit code when it exits while the transport listens, before onclose. */
  readonly onExit?: (exitCode: number) => void;
}

/**
 * Frames of at least this many bytes that own their whole ArrayBuffer are transferred (no copy);
 * smaller ones are copied by the structured clone. Measured (Node 20.20, 2 cores, a Worker
 * counting what it receives, bursts of 1,000 fresh frames, ranges over several runs on a busy
 * machine): copying is 10–25% faster up to 2 KiB (100 bytes:
 * 204–331 K frames/s copied vs 151–265 K transferred; 1 KiB 378–392 K vs 342–370 K); from
 * 4 KiB transferring wins (4 KiB 265 K vs 299 K, 64 KiB 26–40 K vs 69–81 K, 1 MiB 2.0–2.5 K vs
 * 9.2–10.8 K).
 *
 * A transfer detaches the sender's buffer. The link never writes a frame it has sent, and reads
 * back only its own hello (to compute the handshake's MAC), which is far below this threshold.
 */
const TRANSFER_MIN_BYTES = 4 * 1024;

type Endpoint = MessagePort | Worker;

export class WorkerPortTransport extends NodeTransportBase implements NodeFrameTransport {
  readonly #endpoint: Endpoint;
  readonly #isWorker: boolean;
  readonly #onExit: ((exitCode: number) => void) | undefined;
  #sendClosed = false;
  #listening = true;
  #closing = false;
  /** Why the transport ends, if it broke; the first reason wins. */
  #error: unknown = undefined;

  constructor(endpoint: Endpoint, options: WorkerPortTransportOptions = {}) {
    super('WorkerPortTransport', options.maxFrameBytes);
    this.#endpoint = endpoint;
    this.#isWorker = endpoint instanceof Worker;
    this.#onExit = options.onExit;
    endpoint.on('message', this.#onMessage);
    endpoint.on('messageerror', this.#onMessageError);
    if (endpoint instanceof Worker) {
      endpoint.on('error', this.#onWorkerError);
      endpoint.on('exit', this.#onWorkerExit);
      // threadId is -1 once the thread has exited: its 'exit' may already be past.
      if (endpoint.threadId === -1) queueMicrotask(() => this.#onWorkerExit(-1));
    } else {
      endpoint.on('close', this.#onPortClose);
    }
    if (options.refed === false) endpoint.unref();
  }

  send(frame: Uint8Array): void {
    if (this.#sendClosed) return;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.byteLength;
    try {
      this.#post(frame);
    } catch (error) {
      this.#fail(new EntangleError('ENTANGLE_LINK_CLOSED', 'WorkerPortTransport: postMessage failed.', { cause: error }));
    }
  }

  /**
   * Stops delivering; a MessagePort is closed (Node still delivers what was posted before), a
   * Worker is left running: its owner terminates it. The other side learns of the close from
   * the link, which sends bye before it closes a transport, not from the transport.
   */
  close(): void {
    if (this.#closing || this.closeFired) return;
    this.#closing = true;
    this.#sendClosed = true;
    this.#stopListening(false);
    if (this.#isWorker) queueMicrotask(() => this.#fire(undefined));
    else (this.#endpoint as MessagePort).close();
  }

  ref(): void {
    this.#endpoint.ref();
  }

  unref(): void {
    this.#endpoint.unref();
  }

  #post(frame: Uint8Array): void {
    const endpoint = this.#endpoint;
    const buffer = frame.buffer;
    const owned = buffer instanceof ArrayBuffer && frame.byteOffset === 0 && frame.byteLength === buffer.byteLength;
    if (!owned) {
      // The structured clone of a view copies its whole ArrayBuffer (a 100-byte view of a 64 KiB
      // chunk posts 64 KiB): copy just the frame, which is then ours to transfer.
      const copy = frame.slice();
      if (copy.byteLength >= TRANSFER_MIN_BYTES) endpoint.postMessage(copy, [copy.buffer]);
      else endpoint.postMessage(copy);
      return;
    }
    if (frame.byteLength >= TRANSFER_MIN_BYTES) {
      try {
        endpoint.postMessage(frame, [buffer]);
        return;
      } catch {
        // An untransferable ArrayBuffer (Node marks some, e.g. its Buffer pool): copy it instead.
      }
    }
    endpoint.postMessage(frame);
  }

  readonly #onMessage = (value: unknown): void => {
    if (!this.#listening) return;
    const error = this.receivedMessage(value);
    if (error !== null) this.#fail(error);
  };

  readonly #onMessageError = (error: Error): void => {
    if (!this.#listening) return;
    this.#fail(new EntangleError('ENTANGLE_LINK_PROTOCOL', 'WorkerPortTransport: a message could not be deserialized.', { cause: error }));
  };

  readonly #onWorkerError = (error: Error): void => {
    // The worker threw: its 'exit' follows, and reports this as the cause.
    this.#error ??= error;
  };

  readonly #onWorkerExit = (exitCode: number): void => {
    this.#stopListening(true);
    this.#onExit?.(exitCode);
    const cause = this.#error;
    const threw = cause instanceof Error ? ` after throwing: ${cause.message}` : '';
    this.#fire(new EntangleError('ENTANGLE_LINK_CLOSED', `WorkerPortTransport: the worker exited with code ${exitCode}${threw}.`, cause === undefined ? undefined : { cause }));
  };

  readonly #onPortClose = (): void => {
    this.#stopListening(true);
    this.#fire(this.#error);
  };

  /** Breaks the transport: no more frames either way; onclose(error) follows, asynchronously. */
  #fail(error: EntangleError): void {
    this.#error ??= error;
    if (this.#closing || this.closeFired) return;
    this.#closing = true;
    this.#sendClosed = true;
    this.#stopListening(false);
    if (this.#isWorker) queueMicrotask(() => this.#fire(this.#error));
    else (this.#endpoint as MessagePort).close();
  }

  /** Removes our listeners; a MessagePort keeps its 'close' listener until the close arrives. */
  #stopListening(all: boolean): void {
    const endpoint = this.#endpoint;
    this.#listening = false;
    endpoint.off('message', this.#onMessage);
    endpoint.off('messageerror', this.#onMessageError);
    // A Worker keeps our 'error' listener: an error after the close must not become uncaught.
    if (endpoint instanceof Worker) {
      endpoint.off('exit', this.#onWorkerExit);
    } else if (all) {
      endpoint.off('close', this.#onPortClose);
    }
  }

  #fire(error: unknown): void {
    this.#sendClosed = true;
    this.fireClose(error);
  }
}
