// connect(): from a page or a worker, dial a listen() server over the browser's WebSocket, run the
// link's handshake, and resolve with the port the server opened for this connection.

import { EntangleError } from '../errors.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { BrowserWebSocketTransport } from '../transports/browser-websocket.ts';
import { browserRealm } from './realm.ts';

export interface ConnectOptions {
  /** The server's shared secret, proven by HMAC (never sent). */
  readonly token?: string;
  /** How long the connection and handshake may take (default 10 s). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** A port entangled with one the listen() server at `url` (ws: or wss:, absolute or relative to this document) opened for this connection. */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<MessagePort> {
  const where = parseWebSocketUrl(url);
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) throw new TypeError('connect: token must be a non-empty string.');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new TypeError('connect: timeoutMs must be a number > 0.');
  const host = browserRealm();
  const ws = await open(where, timeoutMs);
  const peer = await host.node.attach(new BrowserWebSocketTransport(ws, { maxFrameBytes: host.node.links.limits.maxFrameBytes }), {
    role: 'dial',
    graceMs: 0,
    token: options.token ?? null,
    handshakeTimeoutMs: timeoutMs,
  });
  return host.introduction(peer, where);
}

function parseWebSocketUrl(url: string | URL): string {
  let parsed: URL;
  try {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    parsed = new URL(String(url), base);
  } catch (error) {
    throw new EntangleError('ENTANGLE_BAD_URL', `connect: '${String(url)}' is not a URL.`, { cause: error });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new EntangleError('ENTANGLE_BAD_URL', `connect: a browser reaches a server over ws: or wss:, not ${parsed.protocol}`);
  }
  return parsed.href;
}

/** An open WebSocket to `url`; ENTANGLE_CONNECT_FAILED if it fails or takes longer than `timeoutMs`. */
function open(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const fail = (why: string): void => {
      clearTimeout(timer);
      ws.onopen = ws.onerror = ws.onclose = null;
      ws.close();
      reject(new EntangleError('ENTANGLE_CONNECT_FAILED', `Cannot connect to ${url}: ${why}`));
    };
    // The browser says no more than "error" (it hides why from scripts).
    const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    ws.onerror = () => fail('the WebSocket failed');
    ws.onclose = (event) => fail(`the WebSocket closed with code ${event.code}`);
    ws.onopen = () => {
      clearTimeout(timer);
      ws.onopen = ws.onerror = ws.onclose = null;
      resolve(ws);
    };
  });
}
