// A FrameTransport over the browser's native WebSocket (or any WHATWG WebSocket): one link frame
// per binary message, exactly what listen() serves over ws: (transports/ws.ts on the Node side).
// Text messages are a protocol error. The browser has no maxPayload: an oversize message is
// refused after it arrived (the link's maxFrameBytes still bounds what the link parses and keeps).

import { EntangleError } from '../errors.ts';
import { NodeTransportBase } from './node-transport.ts';
import { closeCodeError, NORMAL } from './websocket-close.ts';
import type { FrameTransport } from '../link/transport.ts';

export interface BrowserWebSocketTransportOptions {
  /** Largest message accepted, in bytes (default: the link's default maxFrameBytes). */
  readonly maxFrameBytes?: number;
}

// WebSocket.readyState values.
const CONNECTING = 0;
const OPEN = 1;

/** Ours, in the application range (browsers may send only 1000 and 3000–4999): the peer broke the link protocol (text message, oversize frame). */
const PROTOCOL_FAILURE = 4002;

/** The base (onframe through an inbox, onclose, counters) is shared with the Node transports; nothing in it is Node's. */
export class BrowserWebSocketTransport extends NodeTransportBase implements FrameTransport {
  readonly #ws: WebSocket;
  #closed = false;
  #error: unknown = undefined;

  /** `ws` must be open: connect() attaches in its 'open' event, so the server's hello, dispatched after it, is not missed. */
  constructor(ws: WebSocket, options: BrowserWebSocketTransportOptions = {}) {
    super('BrowserWebSocketTransport', options.maxFrameBytes);
    if (ws.readyState !== OPEN) throw new TypeError('BrowserWebSocketTransport: the WebSocket must be open.');
    this.#ws = ws;
    // An ArrayBuffer per message: ours to keep, no copy (a Blob would need an async read).
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', this.#onMessage);
    ws.addEventListener('close', this.#onClose);
  }

  send(frame: Uint8Array): void {
    if (this.#closed) return;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.byteLength;
    try {
      this.#ws.send(frame as Uint8Array<ArrayBuffer>);
    } catch (error) {
      this.#fail(new EntangleError('ENTANGLE_LINK_CLOSED', 'BrowserWebSocketTransport: the WebSocket failed to send.', { cause: error }));
    }
  }

  /** Graceful: the browser writes what was sent, then the closing handshake; onclose follows its 'close' event. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ws.readyState === OPEN || this.#ws.readyState === CONNECTING) this.#ws.close(NORMAL);
  }

  readonly #onMessage = (event: MessageEvent): void => {
    if (this.#closed) return;
    const data: unknown = event.data;
    if (!(data instanceof ArrayBuffer)) {
      this.#fail(new EntangleError('ENTANGLE_LINK_PROTOCOL', 'BrowserWebSocketTransport: a text message; link frames are binary.'));
      return;
    }
    const tooLarge = this.oversize(data.byteLength, 'a message');
    if (tooLarge !== null) {
      this.#fail(tooLarge);
      return;
    }
    this.received(new Uint8Array(data));
  };

  readonly #onClose = (event: CloseEvent): void => {
    this.#closed = true;
    if (this.closeFired) return;
    this.#ws.removeEventListener('message', this.#onMessage);
    this.#ws.removeEventListener('close', this.#onClose);
    this.fireClose(this.#error ?? closeCodeError('BrowserWebSocketTransport', event.code));
  };

  /** Breaks the transport: stops reading and sending; onclose(error) follows from the WebSocket's 'close'. */
  #fail(error: EntangleError): void {
    this.#error ??= error;
    if (this.#closed) return;
    this.#closed = true;
    this.#ws.close(PROTOCOL_FAILURE, error.code);
  }
}
