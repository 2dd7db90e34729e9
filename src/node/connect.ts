// connect(): dial a listen() server, run the link's handshake, and resolve with the port the
// server opened for this connection (the one its `connect` event handed to the server's side).

import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { EntangleError } from '../errors.ts';
import type { NodeId } from '../link/node-id.ts';
import { MessageChannel } from '../spec/message-channel.ts';
import type { MessagePort } from '../spec/message-port.ts';
import type { NodeFrameTransport } from '../transports/node-transport.ts';
import { SocketTransport } from '../transports/socket.ts';
import { WebSocketTransport } from '../transports/ws.ts';
import { formatEndpoint, parseEndpoint, type Endpoint } from './endpoint.ts';
import { localServer } from './listen.ts';
import { holdOpen, introduction, localRealm } from './realm.ts';

export interface ConnectOptions {
  /** The server's shared secret, proven by HMAC (never sent). */
  readonly token?: string;
  /** For wss: and tls: — node:tls options (ca, servername, rejectUnauthorized…). */
  readonly tls?: ConnectionOptions;
  /** How long the connection and handshake may take (default 10 s). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** A port entangled with one the server at `url` opened for this connection. */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<MessagePort> {
  const endpoint = parseEndpoint(url);
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) throw new TypeError('connect: token must be a non-empty string.');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const local = localServer(formatEndpoint(endpoint));
  if (local !== undefined) {
    // A server of this process: a node cannot link to itself, and needs no link: a local channel.
    if (local.token !== options.token) throw new EntangleError('ENTANGLE_LINK_AUTH', `${formatEndpoint(endpoint)} refused the token.`);
    const { port1, port2 } = new MessageChannel();
    local.server.acceptLocal(port2);
    return port1;
  }
  const realm = localRealm();
  const release = holdOpen();
  try {
    // ws and tls load with the first connection that needs them (listen.ts says why).
    const openers: Openers = {
      WebSocket: endpoint.scheme === 'ws' || endpoint.scheme === 'wss' ? (await import('ws')).WebSocket : null,
      tlsConnect: endpoint.scheme === 'tls' ? (await import('node:tls')).connect : null,
    };
    const peer = await dial(endpoint, options, openers, realm.links.limits.maxFrameBytes, timeoutMs, (transport) => {
      // From here the link's own handshake timeout applies; a linked transport does not keep the process alive (its ports do).
      transport.unref();
      return realm.attach(transport, { role: 'dial', graceMs: 0, token: options.token ?? null, handshakeTimeoutMs: timeoutMs });
    });
    return await introduction(peer, formatEndpoint(endpoint));
  } finally {
    release();
  }
}

/** What dial needs loaded for the endpoint's scheme (null: not needed). */
interface Openers {
  readonly WebSocket: typeof import('ws').WebSocket | null;
  readonly tlsConnect: typeof import('node:tls').connect | null;
}

/**
 * Opens the raw connection and hands it to `attach` in the same turn as it opens: the server's
 * hello can arrive with the connection (ws emits the message that came in the upgrade response's
 * packet right after 'open', before a promise continuation would run). The transports keep such
 * frames until the link listens (frame-inbox.ts); attaching at once is the simpler guarantee.
 * Its failures (refused, TLS, timeout) are ENTANGLE_CONNECT_FAILED.
 */
function dial(
  endpoint: Endpoint, options: ConnectOptions, openers: Openers, maxFrameBytes: number, timeoutMs: number,
  attach: (transport: NodeFrameTransport) => Promise<NodeId>,
): Promise<NodeId> {
  const where = formatEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    let settled = false;
    let abort: () => void = () => {};
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort();
      const message = error instanceof Error ? error.message : String(error);
      reject(new EntangleError('ENTANGLE_CONNECT_FAILED', `Cannot connect to ${where}: ${message}`, { cause: error }));
    };
    const done = (transport: NodeFrameTransport): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(attach(transport));
      } catch (error) {
        transport.close();
        reject(error);
      }
    };
    const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    if (endpoint.scheme === 'ws' || endpoint.scheme === 'wss') {
      const ws = new openers.WebSocket!(where, { maxPayload: maxFrameBytes, ...(endpoint.scheme === 'wss' ? options.tls ?? {} : {}) });
      abort = () => ws.terminate();
      ws.once('open', () => done(new WebSocketTransport(ws, { maxFrameBytes })));
      ws.once('error', fail);
      ws.once('unexpected-response', (_request, response) => fail(new Error(`HTTP ${response.statusCode} instead of a WebSocket`)));
      return;
    }
    let socket!: Socket;
    let transport: SocketTransport;
    if (endpoint.scheme === 'tls') {
      socket = openers.tlsConnect!({ host: endpoint.host, port: endpoint.port, servername: endpoint.host, ...options.tls });
      transport = new SocketTransport(socket, { maxFrameBytes });
    } else {
      // A socket we make reads through `onread`: frames straight into their own bytes.
      const address = endpoint.scheme === 'unix' ? { path: endpoint.path } : { host: endpoint.host, port: endpoint.port };
      transport = new SocketTransport((onread) => (socket = netConnect({ ...address, onread })), { maxFrameBytes });
    }
    abort = () => socket.destroy();
    socket.once(endpoint.scheme === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.off('error', fail);
      done(transport);
    });
    socket.once('error', fail);
  });
}
