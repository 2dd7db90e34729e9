// What the Node transports (socket.ts, ws.ts, worker-port.ts) share: the interface they add to
// FrameTransport, their maxFrameBytes option, and the receiving side every one of them has —
// onframe through a FrameInbox, onclose (fired once), the counters and the size check. Nothing in
// it is Node's: the browser's transports (browser-websocket.ts, post-message.ts) share it too.

import { EntangleError } from '../errors.ts';
import { DEFAULT_LINK_LIMITS, MAX_FRAME_BYTES } from '../link/limits.ts';
import type { FrameTransport } from '../link/transport.ts';
import { FrameInbox, type FrameListener } from './frame-inbox.ts';

/** What every Node transport adds to FrameTransport. */
export interface NodeFrameTransport extends FrameTransport {
  /** Keep (ref) or stop keeping (unref) the Node event loop alive for this transport's handle. */
  ref(): void;
  unref(): void;
  /** Frames and bytes counted both ways (for stats and tests). Bytes are frame bytes, without framing. */
  readonly stats: { framesSent: number; framesReceived: number; bytesSent: number; bytesReceived: number };
}

/** The maxFrameBytes option of a Node transport, checked (construction may throw; send never does). */
export function transportMaxFrameBytes(transport: string, value: number | undefined): number {
  if (value === undefined) return DEFAULT_LINK_LIMITS.maxFrameBytes;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_FRAME_BYTES) {
    throw new RangeError(`${transport}: maxFrameBytes must be an integer from 0 to ${MAX_FRAME_BYTES}.`);
  }
  return value;
}

/** The receiving side of a Node transport; subclasses move the bytes. */
export abstract class NodeTransportBase {
  onclose: ((error?: unknown) => void) | null = null;
  readonly stats = { framesSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0 };
  /** Largest frame accepted (checked option). */
  protected readonly maxFrameBytes: number;
  /** Hands received frames to onframe, keeping those from before the first one (frame-inbox.ts). */
  protected readonly inbox: FrameInbox;

  readonly #name: string;
  #closeFired = false;

  constructor(transport: string, maxFrameBytes: number | undefined) {
    this.#name = transport;
    this.maxFrameBytes = transportMaxFrameBytes(transport, maxFrameBytes);
    this.inbox = new FrameInbox(this.maxFrameBytes);
  }

  /** Whether the transport has ended: onclose fired (or is firing). */
  protected get closeFired(): boolean {
    return this.#closeFired;
  }

  /** The transport has ended: onclose once, with `error` (undefined: a clean close); no frame or close after it. */
  protected fireClose(error: unknown): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    const onclose = this.onclose;
    this.onframe = null;
    this.onclose = null;
    onclose?.(error);
  }

  /** The error to fail with for a received frame (or message) of `length` bytes, or null when it fits maxFrameBytes. */
  protected oversize(length: number, what = 'a frame'): EntangleError | null {
    if (length <= this.maxFrameBytes) return null;
    return new EntangleError('ENTANGLE_LINK_FRAME_TOO_LARGE', `${this.#name}: ${what} of ${length} bytes; maxFrameBytes is ${this.maxFrameBytes}.`);
  }

  /**
   * A message of a transport whose every message is one frame (postMessage): handed on, or the
   * error to fail with (not bytes: ENTANGLE_LINK_PROTOCOL; too large: as `oversize`).
   */
  protected receivedMessage(value: unknown): EntangleError | null {
    if (!(value instanceof Uint8Array)) {
      return new EntangleError('ENTANGLE_LINK_PROTOCOL', `${this.#name}: a message that is not a Uint8Array (${describe(value)}); link frames are bytes.`);
    }
    const tooLarge = this.oversize(value.byteLength);
    if (tooLarge !== null) return tooLarge;
    this.received(value);
    return null;
  }

  /** A whole frame arrived (and fits): count it and hand it on. */
  protected received(frame: Uint8Array): void {
    this.stats.framesReceived++;
    this.stats.bytesReceived += frame.byteLength;
    this.inbox.deliver(frame);
  }

  get onframe(): FrameListener | null {
    return this.inbox.listener;
  }

  set onframe(listener: FrameListener | null) {
    this.inbox.listener = listener;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
