// A FrameTransport over a native web MessagePort (a browser's, or any HTML-conformant one): one
// frame per message, its ArrayBuffer transferred (no copy). entangle/browser's attach() runs its
// link over a port of a native MessageChannel that it hands to the other context in its hello
// (browser/attach.ts), so frames never share a Window's or Worker's message stream.
//
// A native port tells nobody that its peer went away (no browser ships the `close` event): the
// link's bye says so when the other side closes on purpose; its heartbeats when the other context
// just vanished (a removed iframe, a terminated worker).

import { EntangleError } from '../errors.ts';
import type { FrameTransport } from '../link/transport.ts';
import { NodeTransportBase } from './node-transport.ts';

/** The part of a native MessagePort this transport uses. */
export interface NativePort {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'messageerror' | 'close', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message' | 'messageerror' | 'close', listener: (event: MessageEvent) => void): void;
  start(): void;
  close(): void;
}

export interface PostMessageTransportOptions {
  /** Largest frame accepted, in bytes (default: the link's default maxFrameBytes). */
  readonly maxFrameBytes?: number;
}

export class PostMessageTransport extends NodeTransportBase implements FrameTransport {
  readonly #port: NativePort;
  #closed = false;

  constructor(port: NativePort, options: PostMessageTransportOptions = {}) {
    super('PostMessageTransport', options.maxFrameBytes);
    this.#port = port;
    port.addEventListener('message', this.#onMessage);
    port.addEventListener('messageerror', this.#onMessageError);
    // Fires where the browser implements it (HTML's MessagePort close event); harmless elsewhere.
    port.addEventListener('close', this.#onPortClose);
    port.start();
  }

  send(frame: Uint8Array): void {
    if (this.#closed) return;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.byteLength;
    const owned = frame.buffer instanceof ArrayBuffer && frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength;
    // A view into a larger buffer would transfer (and detach) all of it: copy just the frame, then transfer the copy.
    const bytes = owned ? frame : frame.slice();
    try {
      this.#port.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    } catch (error) {
      this.#end(new EntangleError('ENTANGLE_LINK_CLOSED', 'PostMessageTransport: postMessage failed.', { cause: error }));
    }
  }

  /** Closes the port; what was posted before is still delivered. The other side learns it from the link's bye. */
  close(): void {
    this.#end(undefined);
  }

  readonly #onMessage = (event: MessageEvent): void => {
    if (this.#closed) return;
    const error = this.receivedMessage(event.data);
    if (error !== null) this.#end(error);
  };

  readonly #onMessageError = (): void => {
    this.#end(new EntangleError('ENTANGLE_LINK_PROTOCOL', 'PostMessageTransport: a message could not be deserialized.'));
  };

  readonly #onPortClose = (): void => {
    this.#end(new EntangleError('ENTANGLE_LINK_CLOSED', 'PostMessageTransport: the other end of the port is gone.'));
  };

  /** Stops both directions, closes the port; onclose(error) follows in a microtask, once. */
  #end(error: EntangleError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    const port = this.#port;
    port.removeEventListener('message', this.#onMessage);
    port.removeEventListener('messageerror', this.#onMessageError);
    port.removeEventListener('close', this.#onPortClose);
    port.close();
    queueMicrotask(() => this.fireClose(error));
  }
}
