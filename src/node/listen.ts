// listen(): a server that runs an entangle link on every connection and fires `connect` with a
// port entangled with the peer's (SharedWorker's `connect` event is the precedent). Every
// connection is untrusted until its handshake completes: it has handshakeTimeoutMs to do so, at
// most maxPendingHandshakes run at once, and whatever ends a connection is counted by its code.

import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { rmSync } from 'node:fs';
import type { WebSocket } from 'ws';
import { EntangleError, type EntangleErrorCode } from '../errors.ts';
import type { NodeId } from '../link/node-id.ts';
import { EventHandlerSlot, setEventHandler } from '../spec/event-handler.ts';
import { MessageEvent } from '../spec/message-event.ts';
import type { MessagePort } from '../spec/message-port.ts';
import { markTrusted } from '../spec/trusted-event.ts';
import type { NodeFrameTransport } from '../transports/node-transport.ts';
import { SocketTransport } from '../transports/socket.ts';
import { WebSocketTransport } from '../transports/ws.ts';
import { formatEndpoint, parseEndpoint, type Endpoint } from './endpoint.ts';
import { localRealm, onPeerLost } from './realm.ts';

export interface ListenOptions {
  /** ws://host:port/path, wss://…, tcp://host:port, tls://host:port or unix:/path. Port 0 picks a free one (see `server.url`). */
  readonly url?: string | URL;
  /** Instead of `url`: a TCP (or with `tls`, TLS) server on host (default 127.0.0.1) and port (default 0)… */
  readonly host?: string;
  readonly port?: number;
  /** …or a Unix socket at this path. */
  readonly path?: string;
  /** A shared secret clients must prove (HMAC challenge–response; never sent). Without one, anyone who can connect is a peer. */
  readonly token?: string;
  /** Key and certificate for wss: and tls: (node:tls options). */
  readonly tls?: TlsOptions;
  /** How long a connection may take to finish its handshake (default 10 s). Stops slowloris. */
  readonly handshakeTimeoutMs?: number;
  /** Most handshakes in progress at once (default 256); connections past it are closed at once. Stops a flood of half-open connections. */
  readonly maxPendingHandshakes?: number;
}

export interface ServerStats {
  /** Peers linked now. */
  readonly peers: number;
  /** Connections accepted so far (handshake completed). */
  readonly accepted: number;
  /** Handshakes in progress. */
  readonly pending: number;
  /** Connections refused before or during the handshake, by code (ENTANGLE_LINK_AUTH, …_HANDSHAKE_TIMEOUT, ENTANGLE_SERVER_BUSY, …). */
  readonly refused: Readonly<Partial<Record<EntangleErrorCode, number>>>;
  /** Peers lost after their handshake, by code (…_CLOSED, …_FRAME_TOO_LARGE, ENTANGLE_ROUTING_FORBIDDEN, …). */
  readonly lost: Readonly<Partial<Record<EntangleErrorCode, number>>>;
}

const DEFAULT_MAX_PENDING = 256;

/** Servers of this process by URL: a connect() to one of them is a local channel (a node cannot link to itself). */
const localServers = new Map<string, { server: Server; token: string | undefined }>();

/** The server of this process listening on `url`, if any, with its token. */
export function localServer(url: string): { server: Server; token: string | undefined } | undefined {
  return localServers.get(url);
}

/** A listening endpoint. Fires `connect` (a MessageEvent: `ports[0]` is entangled with the peer's port, `origin` is `entangle:<peer node id>`). */
export class Server extends EventTarget {
  readonly url: string;
  readonly #close: () => Promise<void>;
  readonly #ref: (on: boolean) => void;
  readonly #onconnect = new EventHandlerSlot();
  #stats: { peers: number; accepted: number; pending: number; refused: Partial<Record<EntangleErrorCode, number>>; lost: Partial<Record<EntangleErrorCode, number>> };

  /** @internal */
  constructor(url: string, close: () => Promise<void>, ref: (on: boolean) => void) {
    super();
    this.url = url;
    this.#close = close;
    this.#ref = ref;
    this.#stats = { peers: 0, accepted: 0, pending: 0, refused: {}, lost: {} };
  }

  /** Stops accepting connections. Peers already linked stay linked (close their ports to end them). */
  close(): Promise<void> {
    return this.#close();
  }

  /** A listening server keeps the process alive (the default), as a net.Server does. */
  ref(): void {
    this.#ref(true);
  }

  unref(): void {
    this.#ref(false);
  }

  stats(): ServerStats {
    const s = this.#stats;
    return { peers: s.peers, accepted: s.accepted, pending: s.pending, refused: { ...s.refused }, lost: { ...s.lost } };
  }

  get onconnect(): unknown {
    return this.#onconnect.value;
  }
  set onconnect(value: unknown) {
    setEventHandler(this, 'connect', this.#onconnect, value);
  }

  /** @internal A connect() from this very process: one port of a local channel. */
  acceptLocal(port: MessagePort): void {
    this.#stats.accepted++;
    this.dispatchEvent(markTrusted(new MessageEvent('connect', { data: null, origin: `entangle:${localRealm().id}`, ports: [port] })));
  }

  /** @internal A raw connection: handshake, then a port for the peer. */
  accept(transport: NodeFrameTransport, options: ListenOptions): void {
    const stats = this.#stats;
    const max = options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING;
    if (stats.pending >= max) {
      count(stats.refused, 'ENTANGLE_SERVER_BUSY');
      transport.close();
      return;
    }
    stats.pending++;
    // The listening handle keeps the process alive; a linked peer does through its ports.
    transport.unref();
    const realm = localRealm();
    realm.attach(transport, {
      role: 'accept',
      graceMs: 0,
      token: options.token ?? null,
      ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    }).then((peer: NodeId) => {
      stats.pending--;
      stats.accepted++;
      stats.peers++;
      onPeerLost(peer, (error) => {
        stats.peers--;
        count(stats.lost, reasonCode(error));
      });
      const port = realm.openPort(peer);
      this.dispatchEvent(markTrusted(new MessageEvent('connect', { data: null, origin: `entangle:${peer}`, ports: [port] })));
    }, (error: unknown) => {
      stats.pending--;
      count(stats.refused, reasonCode(error));
    });
  }
}

function count(table: Partial<Record<EntangleErrorCode, number>>, code: EntangleErrorCode): void {
  table[code] = (table[code] ?? 0) + 1;
}

/**
 * The code a connection's end is counted under. The link reports a transport that broke as
 * ENTANGLE_LINK_CLOSED ("the transport closed") with the transport's own reason as its cause
 * (…_FRAME_TOO_LARGE for an oversize length header or ws message, …_PROTOCOL for a stream that
 * ended inside a frame): the first code in the cause chain other than …_CLOSED is the reason.
 */
function reasonCode(error: unknown): EntangleErrorCode {
  if (!(error instanceof EntangleError)) return 'ENTANGLE_LINK_PROTOCOL';
  for (let e: unknown = error; e instanceof EntangleError; e = e.cause) {
    if (e.code !== 'ENTANGLE_LINK_CLOSED') return e.code;
  }
  return 'ENTANGLE_LINK_CLOSED';
}

/** Listens on `url`; resolves once bound, with the server (its `url` has the real port). */
export async function listen(options: ListenOptions): Promise<Server> {
  if (typeof options !== 'object' || options === null) throw new TypeError('listen: options { url } (or { host, port } or { path }) are required.');
  const endpoint = parseEndpoint(options.url ?? urlOf(options));
  if ((endpoint.scheme === 'wss' || endpoint.scheme === 'tls') && options.tls === undefined) {
    throw new TypeError(`listen: ${endpoint.scheme}: needs { tls: { key, cert } }.`);
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) throw new TypeError('listen: token must be a non-empty string.');
  const maxFrameBytes = localRealm().links.limits.maxFrameBytes;
  let server: Server;
  const accept = (transport: NodeFrameTransport): void => server.accept(transport, options);

  // ws and Node's http, https and tls load with the first server that needs them: most processes
  // that import entangle/node (workers above all) never listen, and at startup these cost ~2.5 MB
  // of heap (marked again by every full GC) and ~90 ms.
  if (endpoint.scheme === 'ws' || endpoint.scheme === 'wss') {
    const { WebSocketServer } = await import('ws');
    const http: HttpServer = endpoint.scheme === 'wss'
      ? (await import('node:https')).createServer(options.tls!)
      : (await import('node:http')).createServer();
    const path = endpoint.path.split('?')[0]!;
    const wss = new WebSocketServer({ server: http, maxPayload: maxFrameBytes, ...(path === '/' ? {} : { path }) });
    wss.on('connection', (ws: WebSocket) => accept(new WebSocketTransport(ws, { maxFrameBytes })));
    wss.on('error', () => {});
    await bind(http, endpoint);
    const bound = http.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : endpoint.port;
    const url = formatEndpoint({ ...endpoint, port });
    server = new Server(url, () => closeAll(http, () => {
      localServers.delete(url);
      wss.close();
    }), (on) => (on ? http.ref() : http.unref()));
    localServers.set(url, { server, token: options.token });
    return server;
  }
  const net: NetServer = endpoint.scheme === 'tls'
    ? (await import('node:tls')).createServer(options.tls!, (socket) => accept(new SocketTransport(socket, { maxFrameBytes })))
    : createNetServer((socket: Socket) => accept(new SocketTransport(socket, { maxFrameBytes })));
  // A TLS handshake that fails (garbage, wrong protocol) never becomes a connection: count nothing, keep serving.
  net.on('tlsClientError', () => {});
  await bind(net, endpoint);
  let url: string;
  if (endpoint.scheme === 'unix') {
    url = formatEndpoint(endpoint);
  } else {
    const bound = net.address();
    url = formatEndpoint({ ...endpoint, port: typeof bound === 'object' && bound !== null ? bound.port : endpoint.port });
  }
  server = new Server(url, () => closeAll(net, () => {
    localServers.delete(url);
    if (endpoint.scheme === 'unix') rmSync(endpoint.path, { force: true });
  }), (on) => (on ? net.ref() : net.unref()));
  localServers.set(url, { server, token: options.token });
  return server;
}

/** The URL that `{ host, port }` or `{ path }` stand for. */
function urlOf(options: ListenOptions): string {
  if (options.path !== undefined) {
    if (options.host !== undefined || options.port !== undefined) throw new TypeError('listen: give a path or a host and port, not both.');
    return `unix:${options.path}`;
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('listen: port must be an integer from 0 to 65535.');
  return formatEndpoint({ scheme: options.tls === undefined ? 'tcp' : 'tls', host: options.host ?? '127.0.0.1', port });
}

function bind(server: NetServer, endpoint: Endpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => reject(new EntangleError('ENTANGLE_BAD_URL', `Cannot listen on ${formatEndpoint(endpoint)}: ${error.message}`, { cause: error }));
    server.once('error', failed);
    const done = (): void => {
      server.off('error', failed);
      // Later errors (EMFILE on accept…) must not crash the process.
      server.on('error', () => {});
      resolve();
    };
    if (endpoint.scheme === 'unix') server.listen(endpoint.path, done);
    else server.listen(endpoint.port, endpoint.host, done);
  });
}

/** Stops listening now; connections already linked are left to their links (net.Server.close's callback would wait for them). */
function closeAll(server: NetServer, before: () => void): Promise<void> {
  before();
  if (server.listening) server.close();
  return new Promise((resolve) => setImmediate(resolve));
}
