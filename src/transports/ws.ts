// A FrameTransport over a WebSocket of the `ws` library: one link frame per binary WebSocket
// message (WebSocket messages are already framed, and the link batches messages into frames).
// Text messages are a protocol error. Whoever creates the WebSocket should give it
// `maxPayload: maxFrameBytes`: that is what refuses an oversize message before it is buffered;
// this transport checks the size again, and reads ws's own refusal (close code 1009) as ours.

import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { EntangleError } from '../errors.ts';
import { NodeTransportBase, type NodeFrameTransport } from './node-transport.ts';
import { closeCodeError, INTERNAL_ERROR, MESSAGE_TOO_BIG, NO_STATUS, NORMAL, UNSUPPORTED_DATA } from './websocket-close.ts';

export interface WebSocketTransportOptions {
  /** Largest message accepted, in bytes (default: the link's default maxFrameBytes). Give the WebSocket the same `maxPayload` so that ws refuses a larger one before buffering it. */
  readonly maxFrameBytes?: number;
}

// WebSocket.readyState values (the class is imported for its type only).
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;


export class WebSocketTransport extends NodeTransportBase implements NodeFrameTransport {
  readonly #ws: WebSocket;
  /** Frames sent while the WebSocket is still connecting; null once it is open. */
  #queue: Uint8Array[] | null = null;
  #sendClosed = false;
  #reading = true;
  /** close() was called: close with 1000 once the queue is written. */
  #closedHere = false;
  /** We aborted a handshake ourselves: ws's 'error' for it is not a failure. */
  #abortedHere = false;
  #error: unknown = undefined;
  /** ref()/unref() asked for before there was a socket (a client still connecting). */
  #wantRef: boolean | null = null;

  constructor(ws: WebSocket, options: WebSocketTransportOptions = {}) {
    super('WebSocketTransport', options.maxFrameBytes);
    this.#ws = ws;
    // 'nodebuffer' is the one type ws delivers without a copy: a view into the socket's chunk
    // (or one concatenation for a fragmented message). 'arraybuffer' copies every message that
    // does not own its whole ArrayBuffer, which is nearly all of them.
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.#onMessage);
    ws.on('error', this.#onError);
    ws.on('close', this.#onClose);
    if (ws.readyState === CONNECTING) {
      this.#queue = [];
      ws.once('open', this.#onOpen);
    } else if (ws.readyState !== OPEN) {
      // CLOSING: its 'close' is coming. CLOSED: it may be past, so report it ourselves.
      this.#sendClosed = true;
      this.#reading = false;
      if (ws.readyState === CLOSED) {
        this.#error = new EntangleError('ENTANGLE_LINK_CLOSED', 'WebSocketTransport: the WebSocket was already closed.');
        queueMicrotask(() => this.#onClose(NO_STATUS));
      }
    }
  }

  send(frame: Uint8Array): void {
    if (this.#sendClosed) return;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.byteLength;
    if (this.#queue !== null) {
      this.#queue.push(frame);
      return;
    }
    this.#write(frame);
  }

  /** Graceful: queued frames are written, then a close with 1000; onclose follows when the closing handshake ends. */
  close(): void {
    this.#reading = false;
    if (this.#closedHere || this.closeFired) return;
    this.#closedHere = true;
    this.#sendClosed = true;
    const ws = this.#ws;
    if (ws.readyState === CONNECTING) {
      // Nothing to write yet: no need to finish a handshake only to close it.
      if (this.#queue!.length === 0) {
        this.#abortedHere = true;
        ws.terminate();
      }
      // Otherwise #onOpen writes the queue, then closes.
      return;
    }
    if (ws.readyState === OPEN) ws.close(NORMAL);
  }

  ref(): void {
    this.#setRef(true);
  }

  unref(): void {
    this.#setRef(false);
  }

  #setRef(on: boolean): void {
    // ws has no public accessor for its socket; `_socket` is set from 'open' (client) or from the
    // start (server) to the end, and is the handle that keeps the event loop alive.
    const socket = (this.#ws as unknown as { _socket: Socket | null })._socket;
    if (socket === null) {
      this.#wantRef = on;
      return;
    }
    if (on) socket.ref();
    else socket.unref();
  }

  #write(frame: Uint8Array): void {
    try {
      // A view is marked read-only for ws: a client copies it to mask it, never masks it in place.
      this.#ws.send(frame, { binary: true });
    } catch (error) {
      this.#fail(new EntangleError('ENTANGLE_LINK_CLOSED', 'WebSocketTransport: the WebSocket failed to send.', { cause: error }), INTERNAL_ERROR);
    }
  }

  readonly #onOpen = (): void => {
    const queue = this.#queue ?? [];
    this.#queue = null;
    if (this.#wantRef !== null) this.#setRef(this.#wantRef);
    if (this.closeFired) return;
    for (const frame of queue) this.#write(frame);
    if (this.#closedHere && this.#ws.readyState === OPEN) this.#ws.close(NORMAL);
  };

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    if (!this.#reading) return;
    if (!isBinary) {
      this.#fail(new EntangleError('ENTANGLE_LINK_PROTOCOL', 'WebSocketTransport: a text message; link frames are binary.'), UNSUPPORTED_DATA);
      return;
    }
    const length = Array.isArray(data) ? data.reduce((sum, part) => sum + part.byteLength, 0) : data.byteLength;
    const tooLarge = this.oversize(length, 'a message');
    if (tooLarge !== null) {
      this.#fail(tooLarge, MESSAGE_TOO_BIG);
      return;
    }
    const frame = Array.isArray(data)
      ? new Uint8Array(Buffer.concat(data, length))
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.received(frame);
  };

  readonly #onError = (error: Error & { code?: string }): void => {
    if (this.#abortedHere) return;
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.#error ??= new EntangleError('ENTANGLE_LINK_FRAME_TOO_LARGE', `WebSocketTransport: the peer sent a message over maxPayload: ${error.message}`, { cause: error });
    } else if (error.code?.startsWith('WS_ERR_') === true) {
      // ws found bytes that break the WebSocket protocol (bad opcode, bad UTF-8 in a close, …).
      this.#error ??= new EntangleError('ENTANGLE_LINK_PROTOCOL', `WebSocketTransport: ${error.message}`, { cause: error });
    } else {
      this.#error ??= error;
    }
  };

  readonly #onClose = (code: number): void => {
    this.#reading = false;
    this.#sendClosed = true;
    this.#queue = null;
    if (this.closeFired) return;
    // A handshake we aborted ourselves ends cleanly, unless the peer said 1009.
    this.fireClose(this.#error ?? (this.#abortedHere && code !== MESSAGE_TOO_BIG ? undefined : closeCodeError('WebSocketTransport', code)));
  };

  /** Breaks the transport: stops reading and sending, closes the WebSocket with `code`; onclose(error) follows from its 'close'. */
  #fail(error: EntangleError, code: number): void {
    this.#error ??= error;
    this.#closedHere = true;
    this.#reading = false;
    this.#sendClosed = true;
    this.#queue = null;
    const ws = this.#ws;
    // The code as the reason: short ASCII, well within the 123 bytes a close frame allows.
    if (ws.readyState === OPEN) ws.close(code, error.code);
    else if (ws.readyState === CONNECTING) {
      this.#abortedHere = true;
      ws.terminate();
    }
  }
}
