// Hostile clients against a listen() server in this process, while a well-behaved client (its
// own process, entangle/node's connect()) keeps exchanging messages with it. Every attack must
// end with the attacker's connection closed, the server's stats counting it under its stable
// code, the good client's port still answering, and no uncaught exception (which would fail
// this file). The server is entangle as a user has it (the package's dist); attackers are raw
// sockets, the `ws` client, or a second node built from src/ (RealmNode + SocketTransport)
// that completes a real handshake and then sends what honest nodes never send.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { listen, type Server, type ServerStats } from 'entangle/node';
// The server's own node (the same module instance entangle/node uses): read-only, to learn the
// routing ids an outsider cannot see and the drop reasons behind ENTANGLE_ROUTING_FORBIDDEN.
import { localRealm as serverRealm } from '../../dist/node/realm.js';
import { decodeEvent as decodeServerEvent, decodeHandleRecord as decodeServerHandleRecord, HandleTag as ServerHandleTag } from '../../dist/routing/codec.js';
// The attacker's side: entangle's internals, a separate module graph (a separate node).
import { encodeBye, encodeHello, FRAME_HELLO, HELLO_BYTES } from '../../src/link/frames.ts';
import { RealmNode } from '../../src/realm/realm-node.ts';
import { decodeEvent, encodeEvent, encodeHandleBind, encodeHandleMessage, MAX_HANDLES } from '../../src/routing/codec.ts';
import type { PortDescriptor, RoutingEvent } from '../../src/routing/events.ts';
import { SocketTransport } from '../../src/transports/socket.ts';
import { WebSocketTransport } from '../../src/transports/ws.ts';

const TOKEN = 'the right token';
const HANDSHAKE_MS = 300;
const clientScript = new URL('./fixtures/client-hostile.js', import.meta.url).pathname;

type Code = keyof ServerStats['refused'];

// ---------------------------------------------------------------------------------------------
// Small helpers: conditions with a deadline, a socket's close.

/** Resolves once `condition()` holds (checked every few ms), or rejects after `ms` with `what`. */
async function until(condition: () => boolean, what: () => string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** When `socket` closes: ms since `since`. Rejects after `ms`. */
function closedAt(socket: { once(event: 'close', fn: () => void): unknown }, since: number, ms = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the attacker's connection was not closed within ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - since);
    });
  });
}

function tcpAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** A raw TCP connection to `url` (tcp: or ws:), connected; errors are swallowed (RSTs are expected here). */
async function rawSocket(url: string): Promise<Socket> {
  const socket = netConnect(tcpAddress(url));
  socket.on('error', () => {});
  await once(socket, 'connect');
  // Read (and drop) what the server sends: a socket that is never read never sees the server's end.
  socket.resume();
  return socket;
}

function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

function randomId(): string {
  return randomBytes(16).toString('hex');
}

// ---------------------------------------------------------------------------------------------
// A server, and a good client in its own process that echoes everything the server posts.

/** Per node, the ports of the first user message the server's node sends it: a handle bind (the short form) or a userMessage event. */
function watchFirstMessages(): Map<string, { id: string; peer: string }> {
  const seen = new Map<string, { id: string; peer: string }>();
  const links = serverRealm().links;
  const send = links.send;
  links.send = function (to: string, bytes: Uint8Array): number {
    if (!seen.has(to)) {
      if (bytes[0] === ServerHandleTag.bind) {
        const bind = decodeServerHandleRecord(bytes);
        seen.set(to, { id: bind.from, peer: bind.to });
      } else {
        try {
          const event = decodeServerEvent(bytes);
          if (event.type === 'userMessage') seen.set(to, { id: event.from, peer: event.to });
        } catch {
          // A relay frame.
        }
      }
    }
    return send.call(links, to, bytes);
  };
  return seen;
}

interface Site {
  readonly server: Server;
  /** The server's side of the good client's port. */
  readonly port: MessagePort;
  readonly client: ChildProcess;
  /** The good client's node id (from its connect event's origin). */
  readonly clientNode: string;
  /** Ports the server handed out to connections other than the good client's, in order. */
  readonly others: MessagePort[];
  /** Posts a message to the good client and waits for its echo. */
  roundTrip(): Promise<void>;
  /**
   * The ports of the first user message the server's node sent to `node` (its port and that
   * port's peer): an outsider cannot see them; this test can, by watching the server's links.
   */
  firstMessageTo(node: string): { id: string; peer: string } | undefined;
  /** Round trips in the background until stop(); stop() asserts they all came back, in order. */
  chatter(): { stop(): Promise<number> };
  /** Change in the server's counters since `before`. */
  delta(before: ServerStats): { refused: Partial<Record<Code, number>>; lost: Partial<Record<Code, number>> };
  close(): Promise<void>;
}

async function startSite(url: string, options: { maxPendingHandshakes?: number; handshakeTimeoutMs?: number } = {}): Promise<Site> {
  const server = await listen({ url, token: TOKEN, handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_MS, ...options });
  const firstMessages = watchFirstMessages();
  const others: MessagePort[] = [];
  let first: ((event: MessageEvent) => void) | null = null;
  const firstConnect = new Promise<MessageEvent>((resolve) => (first = resolve));
  server.addEventListener('connect', (event) => {
    const port = (event as MessageEvent).ports[0]!;
    if (first !== null) {
      first(event as MessageEvent);
      first = null;
    } else {
      others.push(port);
    }
  });
  const client = spawn(process.execPath, [clientScript, server.url, TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: client.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if ((JSON.parse(line) as { ready?: boolean }).ready === true) resolve();
    });
    client.once('exit', (code) => reject(new Error(`the good client exited (${code}) before it was ready`)));
  });
  const clientExit = new Promise<void>((resolve) => client.once('exit', () => resolve()));
  let port: MessagePort;
  let clientNode: string;
  try {
    const [connected] = await Promise.all([firstConnect, ready]);
    port = connected.ports[0]!;
    clientNode = connected.origin.slice('entangle:'.length);
  } catch (error) {
    client.kill('SIGKILL');
    await server.close();
    throw error;
  }
  let nextId = 0;
  const waiting = new Map<number, () => void>();
  let lastEcho = -1;
  let outOfOrder = 0;
  port.addEventListener('message', (event) => {
    const { echo } = (event as MessageEvent).data as { echo: number };
    if (echo <= lastEcho) outOfOrder++;
    lastEcho = echo;
    waiting.get(echo)?.();
    waiting.delete(echo);
  });
  port.start();
  const roundTrip = (ms = 3000): Promise<void> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo of ${id} from the good client within ${ms} ms`)), ms);
      waiting.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      port.postMessage(id);
    });
  };
  return {
    server,
    port,
    client,
    clientNode,
    others,
    roundTrip: () => roundTrip(),
    firstMessageTo: (node) => firstMessages.get(node),
    chatter() {
      let stopped = false;
      let trips = 0;
      const loop = (async () => {
        while (!stopped) {
          await roundTrip();
          trips++;
          // Paced: the attacks' timings are measured on a 2-core machine.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      return {
        async stop() {
          stopped = true;
          await loop;
          assert.equal(outOfOrder, 0, 'echoes out of order');
          return trips;
        },
      };
    },
    delta(before) {
      const now = server.stats();
      const diff = (a: Partial<Record<Code, number>>, b: Partial<Record<Code, number>>): Partial<Record<Code, number>> => {
        const out: Partial<Record<Code, number>> = {};
        for (const key of Object.keys(a) as Code[]) {
          const d = (a[key] ?? 0) - (b[key] ?? 0);
          if (d !== 0) out[key] = d;
        }
        return out;
      };
      return { refused: diff(now.refused, before.refused), lost: diff(now.lost, before.lost) };
    },
    async close() {
      for (const other of others) other.close();
      // Closing the server's side lets the good client exit on its own (its only port is gone).
      port.close();
      await server.close();
      const timer = setTimeout(() => client.kill('SIGKILL'), 5000);
      await clientExit;
      clearTimeout(timer);
      lines.close();
    },
  };
}

/** Waits until the server counts `expected` (refused or lost, by code) since `before`, and nothing else. */
async function expectCounted(site: Site, before: ServerStats, kind: 'refused' | 'lost', expected: Partial<Record<Code, number>>): Promise<void> {
  await until(
    () => {
      const d = site.delta(before)[kind];
      return Object.entries(expected).every(([code, n]) => d[code as Code] === n);
    },
    () => `server.stats().${kind} changed by ${JSON.stringify(site.delta(before))}, expected ${JSON.stringify(expected)}`,
  );
  assert.deepEqual(site.delta(before), { refused: {}, lost: {}, [kind]: expected }, 'counted once, under that code only');
}

// ---------------------------------------------------------------------------------------------
// An attacker that completes a real handshake: a second node from src/ over a raw socket.

interface Attacker {
  readonly realm: RealmNode;
  /** What sees 'close' when the server ends the connection: the socket, or the WebSocket. */
  readonly connection: { once(event: 'close', fn: () => void): unknown };
  /** The raw TCP socket underneath. */
  readonly socket: Socket;
  readonly serverNode: string;
  /** The port the server opened for this connection, as this node received it. */
  readonly introduced: PortDescriptor;
  readonly port: MessagePort;
  /** Routing events from the server, decoded. */
  readonly seen: RoutingEvent[];
  /** Sends raw routing event bytes to the server over the link. */
  send(event: RoutingEvent): void;
  close(): void;
}

/**
 * A link from the attacker's entangle (src/) to `url`: a raw socket for tcp:, the ws client for
 * ws:. `attach` runs in the same turn as the connection opens (the server's hello may come in
 * the same packet as the upgrade's response, and a transport with nothing attached drops it).
 */
async function attackerLink(url: string, attach: (transport: SocketTransport | WebSocketTransport) => Promise<string>): Promise<{ peer: Promise<string>; connection: Attacker['connection']; socket: Socket; destroy(): void }> {
  if (url.startsWith('ws:')) {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    let peer!: Promise<string>;
    await new Promise<void>((resolve) => ws.once('open', () => {
      peer = attach(new WebSocketTransport(ws));
      resolve();
    }));
    return { peer, connection: ws, socket: (ws as unknown as { _socket: Socket })._socket, destroy: () => ws.terminate() };
  }
  const socket = netConnect(tcpAddress(url));
  socket.on('error', () => {});
  let peer!: Promise<string>;
  await new Promise<void>((resolve) => socket.once('connect', () => {
    peer = attach(new SocketTransport(socket));
    resolve();
  }));
  return { peer, connection: socket, socket, destroy: () => socket.destroy() };
}

async function linkedAttacker(url: string, token: string): Promise<Attacker> {
  const realm = new RealmNode();
  const seen: RoutingEvent[] = [];
  const relay = realm.relay;
  const received = relay.received.bind(relay);
  relay.received = (peer, bytes) => {
    try {
      seen.push(decodeEvent(bytes));
    } catch {
      // Not a routing event (a relay frame): not ours to read.
    }
    received(peer, bytes);
  };
  const connected = new Promise<MessagePort>((resolve) => {
    realm.addEventListener('connect', (event) => resolve((event as MessageEvent).ports[0]!), { once: true });
  });
  const { peer, connection, socket, destroy } = await attackerLink(url, (transport) => realm.attach(transport, { role: 'dial', token, graceMs: 0 }));
  const serverNode = await peer;
  const port = await connected;
  const introduce = seen.find((event) => event.type === 'introduce');
  assert.ok(introduce !== undefined && introduce.type === 'introduce');
  return {
    realm,
    connection,
    socket,
    serverNode,
    introduced: introduce.port,
    port,
    seen,
    send: (event) => void realm.relay.send(serverNode, encodeEvent(event)),
    close: () => {
      realm.close();
      destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------

for (const scheme of ['tcp', 'ws'] as const) {
  describe(`hostile clients against a ${scheme}: server`, () => {
    let site: Site;
    let chatter: { stop(): Promise<number> };

    before(async () => {
      site = await startSite(`${scheme}://127.0.0.1:0`);
      chatter = site.chatter();
    });

    after(async () => {
      const trips = await chatter.stop();
      assert.ok(trips > 0, 'the good client exchanged messages throughout');
      await site.close();
    });

    /** Runs `attack`, then checks the good client still round-trips and is the only peer left. */
    async function survive(attack: () => Promise<void>): Promise<void> {
      await attack();
      await site.roundTrip();
      await until(() => site.server.stats().peers === 1 && site.server.stats().pending === 0, () => JSON.stringify(site.server.stats()));
    }

    if (scheme === 'tcp') {
      test('a: garbage bytes instead of a hello (an HTTP request: its first 4 bytes read as a ~1.1 GB length)', async () => {
        await survive(async () => {
          const before = site.server.stats();
          const socket = await rawSocket(site.server.url);
          const closed = closedAt(socket, performance.now());
          socket.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
          await closed;
          await expectCounted(site, before, 'refused', { ENTANGLE_LINK_FRAME_TOO_LARGE: 1 });
        });
      });

      test('a: framed garbage instead of a hello → ENTANGLE_LINK_PROTOCOL', async () => {
        await survive(async () => {
          const before = site.server.stats();
          const socket = await rawSocket(site.server.url);
          const closed = closedAt(socket, performance.now());
          socket.write(frame(new Uint8Array(64).fill(0xab)));
          await closed;
          await expectCounted(site, before, 'refused', { ENTANGLE_LINK_PROTOCOL: 1 });
        });
      });

      test('a: a hello-shaped frame without the magic → ENTANGLE_LINK_PROTOCOL; a wrong version → ENTANGLE_LINK_VERSION', async () => {
        await survive(async () => {
          const hello = encodeHello({ flags: 1, node: randomId(), nonce: randomBytes(32), maxFrameBytes: 1 << 20 });
          assert.equal(hello.length, HELLO_BYTES);
          const noMagic = hello.slice();
          noMagic.set([0x48, 0x54, 0x54, 0x50], 1);
          const badVersion = hello.slice();
          badVersion[5] = 99;
          for (const [bytes, code] of [[noMagic, 'ENTANGLE_LINK_PROTOCOL'], [badVersion, 'ENTANGLE_LINK_VERSION']] as const) {
            const before = site.server.stats();
            const socket = await rawSocket(site.server.url);
            const closed = closedAt(socket, performance.now());
            socket.write(frame(bytes));
            await closed;
            await expectCounted(site, before, 'refused', { [code]: 1 });
          }
        });
      });

      test('a: the stream ends inside a frame → ENTANGLE_LINK_PROTOCOL', async () => {
        await survive(async () => {
          const before = site.server.stats();
          const socket = await rawSocket(site.server.url);
          const closed = closedAt(socket, performance.now());
          socket.end(Buffer.from([0, 0, 0, 75, 1, 2, 3]));
          await closed;
          await expectCounted(site, before, 'refused', { ENTANGLE_LINK_PROTOCOL: 1 });
        });
      });

      test('b: a length header claiming 4 GiB before the handshake → ENTANGLE_LINK_FRAME_TOO_LARGE, nothing that size allocated', async () => {
        await survive(async () => {
          const before = site.server.stats();
          const memory = process.memoryUsage();
          const socket = await rawSocket(site.server.url);
          const closed = closedAt(socket, performance.now());
          socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]));
          await closed;
          await expectCounted(site, before, 'refused', { ENTANGLE_LINK_FRAME_TOO_LARGE: 1 });
          const grew = process.memoryUsage().arrayBuffers - memory.arrayBuffers;
          assert.ok(grew < 16 * 1024 * 1024, `arrayBuffers grew by ${grew} bytes`);
        });
      });
    } else {
      test('a: raw bytes that are not a WebSocket upgrade → HTTP refuses them; no link, nothing counted', async () => {
        await survive(async () => {
          const before = site.server.stats();
          const socket = await rawSocket(site.server.url);
          const closed = closedAt(socket, performance.now());
          socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 0x0d, 0x0a, 0x0d, 0x0a]));
          await closed;
          assert.deepEqual(site.delta(before), { refused: {}, lost: {} });
          assert.equal(site.server.stats().pending, 0);
        });
      });

      test('a: a WebSocket whose first message is garbage → ENTANGLE_LINK_PROTOCOL; a text message → ENTANGLE_LINK_PROTOCOL', async () => {
        await survive(async () => {
          // Garbage in a binary message fails the handshake: the link says bye (with the code) and
          // closes normally. A text message fails the transport itself: close 1003 (unsupported data).
          for (const [message, closeCode, bye] of [[new Uint8Array(64).fill(0xab), 1000, true], ['hello?', 1003, false]] as const) {
            const before = site.server.stats();
            const ws = new WebSocket(site.server.url);
            ws.on('error', () => {});
            const frames: Buffer[] = [];
            ws.on('message', (data: Buffer) => frames.push(data));
            await once(ws, 'open');
            const closed = closedAt(ws, performance.now());
            const code = new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
            ws.send(message);
            await closed;
            assert.equal(await code, closeCode);
            // The server's hello, then (for a refusal by the link) its bye naming ENTANGLE_LINK_PROTOCOL.
            assert.equal(frames[0]?.[0], FRAME_HELLO);
            if (bye) assert.deepEqual([...frames.at(-1)!], [...encodeBye('ENTANGLE_LINK_PROTOCOL')]);
            await expectCounted(site, before, 'refused', { ENTANGLE_LINK_PROTOCOL: 1 });
          }
        });
      });

      test('b: a WebSocket message header claiming 4 GiB (over maxPayload) → 1009, ENTANGLE_LINK_FRAME_TOO_LARGE, nothing that size allocated', async () => {
        await survive(async () => {
          const before = site.server.stats();
          const memory = process.memoryUsage();
          const ws = new WebSocket(site.server.url);
          ws.on('error', () => {});
          await once(ws, 'open');
          const closed = closedAt(ws, performance.now());
          const code = new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
          // One binary frame, FIN, masked (a client's must be), 64-bit length 2^32, mask key; no payload.
          const header = Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
          (ws as unknown as { _socket: Socket })._socket.write(header);
          await closed;
          assert.equal(await code, 1009);
          await expectCounted(site, before, 'refused', { ENTANGLE_LINK_FRAME_TOO_LARGE: 1 });
          const grew = process.memoryUsage().arrayBuffers - memory.arrayBuffers;
          assert.ok(grew < 16 * 1024 * 1024, `arrayBuffers grew by ${grew} bytes`);
        });
      });
    }

    test('b: after a real handshake, a frame header claiming 4 GiB → the peer is lost with ENTANGLE_LINK_FRAME_TOO_LARGE', async () => {
      await survive(async () => {
        const attacker = await linkedAttacker(site.server.url, TOKEN);
        try {
          await until(() => site.others.length > 0 && site.server.stats().peers === 2, () => 'the attacker linked');
          const before = site.server.stats();
          const memory = process.memoryUsage();
          const closed = closedAt(attacker.connection, performance.now());
          // Past the link, straight onto the socket: the next frame's length header (tcp), or a
          // WebSocket frame header with a 64-bit length of 2^32, masked, no payload (ws).
          attacker.socket.write(scheme === 'tcp'
            ? Buffer.from([0xff, 0xff, 0xff, 0xff])
            : Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]));
          await closed;
          await expectCounted(site, before, 'lost', { ENTANGLE_LINK_FRAME_TOO_LARGE: 1 });
          const grew = process.memoryUsage().arrayBuffers - memory.arrayBuffers;
          assert.ok(grew < 16 * 1024 * 1024, `arrayBuffers grew by ${grew} bytes`);
        } finally {
          attacker.close();
          site.others.shift()?.close();
        }
      });
    });

    test('c: the wrong token → ENTANGLE_LINK_AUTH (and no token at all → ENTANGLE_LINK_AUTH)', async () => {
      await survive(async () => {
        for (const token of ['not the token', null]) {
          const before = site.server.stats();
          const realm = new RealmNode();
          try {
            const { peer, connection } = await attackerLink(site.server.url, (transport) => realm.attach(transport, { role: 'dial', token, graceMs: 0 }));
            const closed = closedAt(connection, performance.now());
            await assert.rejects(peer, { code: 'ENTANGLE_LINK_AUTH' });
            await closed;
            await expectCounted(site, before, 'refused', { ENTANGLE_LINK_AUTH: 1 });
          } finally {
            realm.close();
          }
        }
      });
    });

    test(`d: slowloris — silent, or a byte per 100 ms → ENTANGLE_LINK_HANDSHAKE_TIMEOUT within ~${HANDSHAKE_MS}–1000 ms`, async () => {
      await survive(async () => {
        const timings: string[] = [];
        for (const style of ['silent', 'dribble'] as const) {
          const before = site.server.stats();
          const start = performance.now();
          let closed: Promise<number>;
          let dribble: NodeJS.Timeout | null = null;
          if (scheme === 'tcp') {
            const socket = await rawSocket(site.server.url);
            closed = closedAt(socket, start);
            if (style === 'dribble') {
              // A valid hello's frame, a byte at a time: never too large, never garbage, never done.
              const bytes = frame(encodeHello({ flags: 1, node: randomId(), nonce: randomBytes(32), maxFrameBytes: 1 << 20 }));
              let i = 0;
              dribble = setInterval(() => {
                if (!socket.destroyed && i < bytes.length) socket.write(bytes.subarray(i, ++i));
              }, 100);
            }
          } else {
            // The same over WebSocket: the upgrade itself, dribbled, never reaches the link
            // (that is the HTTP server's headersTimeout); an open WebSocket that dribbles does.
            const ws = new WebSocket(site.server.url);
            ws.on('error', () => {});
            await once(ws, 'open');
            closed = closedAt(ws, start);
            if (style === 'dribble') {
              // Fragments of one binary message (no FIN), a byte each: ws buffers, the link never sees a frame.
              const raw = (ws as unknown as { _socket: Socket })._socket;
              let first = true;
              dribble = setInterval(() => {
                if (raw.destroyed) return;
                // opcode binary first, then continuation; masked, 1-byte payload.
                raw.write(Buffer.from([first ? 0x02 : 0x00, 0x81, 1, 2, 3, 4, 0x55]));
                first = false;
              }, 100);
            }
          }
          try {
            const ms = await closed;
            timings.push(`${style} ${ms.toFixed(0)} ms`);
            assert.ok(ms >= HANDSHAKE_MS - 20 && ms < 1000, `${style}: closed after ${ms.toFixed(0)} ms`);
          } finally {
            if (dribble !== null) clearInterval(dribble);
          }
          await expectCounted(site, before, 'refused', { ENTANGLE_LINK_HANDSHAKE_TIMEOUT: 1 });
        }
        console.log(`# ${scheme} slowloris: ${timings.join(', ')}`);
      });
    });

    test('e: routing events for ports the attacker does not peer with → ENTANGLE_ROUTING_FORBIDDEN, the good client unaffected', async () => {
      // The server's side of the good client's port: an outsider cannot see it; this test can,
      // by watching what the server's node forwards to the good client's node.
      const realm = serverRealm();
      const good = site.firstMessageTo(site.clientNode);
      assert.ok(good !== undefined, 'the server sent the good client a message');
      const results: string[] = [];
      const payload = new Uint8Array(8);
      // Each case: what the attacker sends (an event, or link messages in the short form), the
      // server's drop reason (none: the bytes themselves are refused) and the error it is cut off with.
      type Attack = RoutingEvent | Uint8Array[];
      const cases: [string, (a: Attacker) => Attack, string | null, Code?][] = [
        ['(i) a random port id', () => ({ type: 'userMessage', to: randomId(), from: randomId(), seq: 0, hops: 0, payload: new Uint8Array(8), ports: [] }), 'unknownPort'],
        ['(ii) the good client\'s server-side port, from the attacker\'s own port', (a) => ({ type: 'userMessage', to: good.id, from: a.introduced.port, seq: 0, hops: 0, payload: new Uint8Array(8), ports: [] }), 'wrongSource'],
        ['(ii) the good client\'s server-side port, from the good client\'s port id', () => ({ type: 'userMessage', to: good.id, from: good.peer, seq: 0, hops: 0, payload: new Uint8Array(8), ports: [] }), 'wrongSource'],
        ['(iii) its own peer port, with a wrong `from`', (a) => ({ type: 'userMessage', to: a.introduced.peerPort, from: randomId(), seq: 1, hops: 0, payload: new Uint8Array(8), ports: [] }), 'wrongSource'],
        ['(iv) its own peer port, right `from`, a sequence number skipped', (a) => ({ type: 'userMessage', to: a.introduced.peerPort, from: a.introduced.port, seq: 5, hops: 0, payload: new Uint8Array(8), ports: [] }), 'badSequence'],
        ['(v) a control event for the good client\'s port (observeClosure)', () => ({ type: 'observeClosure', to: good.id, from: good.peer, lastSeq: 0 }), 'wrongSource'],
        ['(vi) the short form: its handle 0 bound again to the good client\'s ports, then a message on it', () => [encodeHandleBind(0, good.id, good.peer), encodeHandleMessage(0, 0, 0, payload)], 'wrongSource'],
        ['(vii) the short form: a message on a handle never bound', () => [encodeHandleMessage(MAX_HANDLES - 1, 0, 0, payload)], null, 'ENTANGLE_ROUTING_MALFORMED'],
        ['(viii) the short form: a bind past the last handle', (a) => [encodeHandleBind(MAX_HANDLES, a.introduced.peerPort, a.introduced.port)], null, 'ENTANGLE_ROUTING_MALFORMED'],
      ];
      for (const [name, attack, reason, code = 'ENTANGLE_ROUTING_FORBIDDEN'] of cases) {
        const attacker = await linkedAttacker(site.server.url, TOKEN);
        try {
          // An honest exchange first: the attacker's port works, so what follows is the attack alone.
          await until(() => site.others.length > 0, () => 'the attacker\'s port at the server');
          const serverSide = site.others.shift()!;
          const got: unknown[] = [];
          serverSide.addEventListener('message', (e) => got.push((e as MessageEvent).data));
          const serverSideClosed = new Promise<void>((resolve) => serverSide.addEventListener('close', () => resolve(), { once: true }));
          serverSide.start();
          attacker.port.postMessage('honest');
          await until(() => got.length === 1, () => 'the attacker\'s honest message');
          const before = site.server.stats();
          const dropped = { ...realm.node.stats().dropped };
          const closed = closedAt(attacker.connection, performance.now());
          const start = performance.now();
          const sent = attack(attacker);
          if (Array.isArray(sent)) for (const bytes of sent) attacker.realm.links.send(attacker.serverNode, bytes);
          else attacker.send(sent);
          const ms = await closed;
          await expectCounted(site, before, 'lost', { [code]: 1 });
          const droppedNow = realm.node.stats().dropped as Record<string, number>;
          const reasons = Object.keys(droppedNow).filter((r) => droppedNow[r] !== (dropped as Record<string, number>)[r]);
          assert.deepEqual(reasons, reason === null ? [] : [reason], `${name}: dropped as ${reasons.join()}`);
          results.push(`${name} → ${reasons.join() || 'refused'} → ${code}, closed in ${(performance.now() - start).toFixed(0)} ms (socket ${ms.toFixed(0)} ms)`);
          // The attacker's port at the server learns its peer is gone; nothing forged was delivered.
          await serverSideClosed;
          assert.deepEqual(got, ['honest']);
          await site.roundTrip();
        } finally {
          attacker.close();
        }
      }
      console.log(results.map((r) => `# ${scheme} ${r}`).join('\n'));
      // The good client's port is still the good client's: it answers, in order.
      for (let i = 0; i < 5; i++) await site.roundTrip();
    });
  });
}

test('f: maxPendingHandshakes — 300 idle connections against 50 slots: 250 closed at once, the good client unaffected', async () => {
  const site = await startSite('tcp://127.0.0.1:0', { maxPendingHandshakes: 50, handshakeTimeoutMs: 1500 });
  const chatter = site.chatter();
  const sockets: Socket[] = [];
  try {
    const before = site.server.stats();
    const start = performance.now();
    const closes: Promise<number>[] = [];
    for (let i = 0; i < 300; i++) {
      const socket = netConnect(tcpAddress(site.server.url));
      socket.on('error', () => {});
      socket.resume();
      sockets.push(socket);
      closes.push(closedAt(socket, start, 10_000));
    }
    // The first 50 are pending; the other 250 are closed as they are accepted.
    await until(() => site.delta(before).refused.ENTANGLE_SERVER_BUSY === 250, () => JSON.stringify(site.delta(before)));
    const refusedMs = performance.now() - start;
    assert.equal(site.server.stats().pending, 50);
    await site.roundTrip();
    // A newcomer while every slot is taken is refused too (the cost of the bound)…
    const late = await rawSocket(site.server.url);
    await closedAt(late, performance.now(), 2000);
    // …and the 50 time out: the slots come back.
    const all = await Promise.all(closes);
    const sorted = all.sort((a, b) => a - b);
    const fast = sorted.slice(0, 250);
    const slow = sorted.slice(250);
    console.log(`# f: 250 refused at once (the last closed ${fast[249]!.toFixed(0)} ms after the first connect, all counted by ${refusedMs.toFixed(0)} ms), one more while full, 50 timed out after ${slow[0]!.toFixed(0)}–${slow[49]!.toFixed(0)} ms`);
    assert.ok(fast[249]! < 1500, `the 250 extra connections closed within ${fast[249]!.toFixed(0)} ms`);
    assert.ok(slow[0]! >= 1400, `the 50 pending ones held their slot until the handshake timeout (${slow[0]!.toFixed(0)} ms)`);
    await until(() => site.server.stats().pending === 0, () => `${site.server.stats().pending} pending`);
    assert.deepEqual(site.delta(before), { refused: { ENTANGLE_SERVER_BUSY: 251, ENTANGLE_LINK_HANDSHAKE_TIMEOUT: 50 }, lost: {} });
    // A well-behaved newcomer gets in once slots are free.
    const attacker = await linkedAttacker(site.server.url, TOKEN);
    attacker.close();
    await site.roundTrip();
    assert.ok((await chatter.stop()) > 0);
  } finally {
    for (const socket of sockets) socket.destroy();
    await chatter.stop().catch(() => {});
    await site.close();
  }
});
