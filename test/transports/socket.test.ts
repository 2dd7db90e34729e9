// SocketTransport: length-prefixed frames over a Unix socket, TCP and TLS (whole, in order, both
// ways), Links over each, oversize headers refused before the body, abrupt ends, backpressure,
// and the parser on chunks split anywhere.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { test, type TestContext } from 'node:test';
import tls from 'node:tls';
import type { OnRead } from '../../src/transports/frame-reader.ts';
import { SocketTransport } from '../../src/transports/socket.ts';
import {
  assertCode, assertFrame, checkFrames, checkGracefulClose, checkLinks, frameOf, record, turns, waitFor,
  type TransportPair,
} from './helpers.ts';

/** Resolves when the socket's 'close' has been emitted (now or later). */
function socketClosed(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** A server and a connected client socket; both closed (and the server too) after the test. */
async function socketPair(
  t: TestContext, kind: 'unix' | 'tcp' | 'tls', make?: (connect: (onread: OnRead) => net.Socket) => net.Socket,
): Promise<{ client: net.Socket; server: net.Socket }> {
  let server: net.Server;
  const accepted = new Promise<net.Socket>((resolve) => {
    server = kind === 'tls'
      ? tls.createServer({ key: tlsFiles!.key, cert: tlsFiles!.cert }, resolve)
      : net.createServer(resolve);
  });
  let unixPath: string | null = null;
  let client: net.Socket;
  if (kind === 'unix') {
    unixPath = path.join(os.tmpdir(), `entangle-socket-test-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
    await new Promise<void>((resolve) => server!.listen(unixPath!, resolve));
    client = make === undefined ? net.connect(unixPath) : make((onread) => net.connect({ path: unixPath!, onread }));
  } else {
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as net.AddressInfo;
    if (kind === 'tls') client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: tlsFiles!.cert });
    else client = make === undefined ? net.connect(port, '127.0.0.1') : make((onread) => net.connect({ host: '127.0.0.1', port, onread }));
  }
  const connected = new Promise<void>((resolve, reject) => {
    client.once(kind === 'tls' ? 'secureConnect' : 'connect', resolve);
    client.once('error', reject);
  });
  const [serverSide] = await Promise.all([accepted, connected]);
  t.after(async () => {
    client.destroy();
    serverSide.destroy();
    await Promise.all([socketClosed(client), socketClosed(serverSide)]);
    await new Promise((resolve) => server.close(resolve));
    if (unixPath !== null) rmSync(unixPath, { force: true });
  });
  return { client, server: serverSide };
}

/**
 * Transports over a socketPair. `reads: 'onread'`: the client's socket is made by its transport
 * with the `onread` option (frames read into their own bytes), as entangle's workers and
 * connect() make theirs; the server's reads 'data' chunks, as every accepted socket does.
 */
async function transportPair(t: TestContext, kind: 'unix' | 'tcp' | 'tls', reads: 'data' | 'onread' = 'data'): Promise<TransportPair & { client: net.Socket; server: net.Socket }> {
  let clientTransport: SocketTransport | null = null;
  const { client, server } = await socketPair(t, kind, reads === 'data' ? undefined : (connect) => {
    let socket!: net.Socket;
    clientTransport = new SocketTransport((onread) => (socket = connect(onread)));
    return socket;
  });
  return {
    client,
    server,
    a: clientTransport ?? new SocketTransport(client),
    b: new SocketTransport(server),
    closed: Promise.all([socketClosed(client), socketClosed(server)]).then(() => {}),
  };
}

/** A self-signed certificate for localhost, made by openssl at test time (nothing downloaded). */
let tlsFiles: { key: Buffer; cert: Buffer } | null = null;
let tlsSkip: string | false = false;
try {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'entangle-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
      '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    tlsFiles = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} catch (error) {
  tlsSkip = `openssl is not available to make a test certificate (${(error as Error).message.split('\n')[0]})`;
}

for (const kind of ['unix', 'tcp', 'tls'] as const) {
  const skip = kind === 'tls' ? tlsSkip : false;

  test(`socket (${kind}): frames of 0 B to 1 MiB + 7 and 1,000 small ones in one turn arrive whole and in order, both ways`, { skip }, async (t) => {
    await checkFrames(await transportPair(t, kind));
  });

  test(`socket (${kind}): frames sent as pieces (sendPieces: large pieces written as they are) arrive whole, in order with frames sent whole`, { skip }, async (t) => {
    const { a, b } = await transportPair(t, kind);
    const atB = record(b);
    const frames = [frameOf(0, 70_000), frameOf(1, 10), frameOf(2, 200_000), frameOf(3, 0), frameOf(4, 5000), frameOf(5, 3)];
    /** Frame `i` cut at `cuts` (offsets into it). */
    const cut = (i: number, cuts: number[]): Uint8Array[] => [0, ...cuts].map((from, k) => frames[i]!.subarray(from, k < cuts.length ? cuts[k] : undefined));
    a.sendPieces!(cut(0, [3, 3, 65_000]), 70_000);
    a.send(frames[1]!);
    a.sendPieces!(cut(2, [100, 4196, 150_000]), 200_000);
    a.sendPieces!([], 0);
    a.sendPieces!(cut(4, [1, 4095]), 5000);
    a.sendPieces!(cut(5, [1]), 3);
    await waitFor(() => atB.frames.length >= frames.length, 'every frame');
    frames.forEach((frame, i) => assertFrame(atB.frames[i], i, frame.length));
    assert.equal(atB.frames.length, frames.length);
    assert.equal(a.stats.bytesSent, 275_013);
  });

  test(`socket (${kind}): close() is graceful — frames sent before it arrive, then both ends see onclose(undefined)`, { skip }, async (t) => {
    await checkGracefulClose(await transportPair(t, kind));
  });

  test(`socket (${kind}): a Links handshake and messages over it, without a token; links.close() loses the peer on both sides and leaves nothing`, { skip }, async (t) => {
    await checkLinks(await transportPair(t, kind));
  });

  test(`socket (${kind}): the same with a token`, { skip }, async (t) => {
    await checkLinks(await transportPair(t, kind), 'a shared secret');
  });
}

for (const kind of ['unix', 'tcp'] as const) {
  test(`socket (${kind}, read through onread): frames of 0 B to 1 MiB + 7 and 1,000 small ones arrive whole and in order, both ways`, async (t) => {
    await checkFrames(await transportPair(t, kind, 'onread'));
  });

  test(`socket (${kind}, read through onread): close() is graceful; a Links handshake and messages over it`, async (t) => {
    await checkGracefulClose(await transportPair(t, kind, 'onread'));
    await checkLinks(await transportPair(t, kind, 'onread'));
  });
}

test('socket: a header claiming 4 GiB ends the connection with ENTANGLE_LINK_FRAME_TOO_LARGE before any body arrives', async (t) => {
  const { client, server } = await socketPair(t, 'tcp');
  const transport = new SocketTransport(server);
  const got = record(transport);
  client.on('error', () => {}); // the server's destroy may reset the connection
  client.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  await waitFor(() => got.closes.length > 0, 'onclose');
  assert.equal(got.closes.length, 1);
  assertCode(got.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assert.equal(got.frames.length, 0);
  assert.ok(server.destroyed);
  transport.send(frameOf(1, 10)); // after the close: dropped, no throw
  await turns();
  assert.equal(got.closes.length, 1);
});

test('socket: headers claiming the largest frame allowed cost the receiver no more than their bytes (memory grows with what arrives), on accepted and onread sockets', async (t) => {
  const claim = 64 * 1024 * 1024; // the default maxFrameBytes is 64 MiB + 1 KiB
  const header = Buffer.alloc(4);
  header.writeUInt32BE(claim);
  const before = process.memoryUsage().arrayBuffers;
  const receivers: { transport: SocketTransport; got: ReturnType<typeof record> }[] = [];
  for (let i = 0; i < 8; i++) {
    const pair = await transportPair(t, 'unix', i % 2 === 0 ? 'data' : 'onread');
    // The server's end reads 'data' chunks, the client's (made by its transport) reads through onread.
    const [writer, receiver] = i % 2 === 0 ? [pair.client, pair.b] : [pair.server, pair.a];
    receivers.push({ transport: receiver as SocketTransport, got: record(receiver) });
    writer.write(Buffer.concat([header, Buffer.alloc(1000, 7)]));
  }
  await turns(50);
  const grown = process.memoryUsage().arrayBuffers - before;
  // Eight frames of 64 MiB allocated at their headers would be 512 MiB.
  assert.ok(grown < 8 * 1024 * 1024, `array buffers grew by ${grown} bytes`);
  for (const { got } of receivers) {
    assert.equal(got.frames.length, 0);
    assert.equal(got.closes.length, 0, 'a frame under the limit is not an error: it is waited for');
  }
});

test('socket: maxFrameBytes is exact — a frame of maxFrameBytes passes, one byte more is refused as soon as its header arrives', async (t) => {
  const { client, server } = await socketPair(t, 'unix');
  const sender = new SocketTransport(client);
  const receiver = new SocketTransport(server, { maxFrameBytes: 1000 });
  const got = record(receiver);
  const sent = record(sender);
  sender.send(frameOf(1, 1000));
  await waitFor(() => got.frames.length === 1, 'the frame of maxFrameBytes');
  client.write(Uint8Array.of(0, 0, 0x03, 0xe9)); // 1001: the header only
  await waitFor(() => got.closes.length === 1 && sent.closes.length === 1, 'both ends closed');
  assertCode(got.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assertFrame(got.frames[0], 1, 1000);
});

test('socket: the other side reset (resetAndDestroy) → onclose exactly once, with an Error; sends afterwards do not throw', async (t) => {
  const { client, server } = await socketPair(t, 'tcp');
  const transport = new SocketTransport(client);
  const got = record(transport);
  server.resetAndDestroy();
  await waitFor(() => got.closes.length > 0, 'onclose');
  transport.send(frameOf(1, 10));
  transport.close();
  await turns();
  assert.equal(got.closes.length, 1);
  assert.ok(got.closes[0] instanceof Error);
  assert.equal((got.closes[0] as NodeJS.ErrnoException).code, 'ECONNRESET');
});

test('socket: the other side destroyed mid-stream while we send → onclose exactly once; a plain destroy() is a FIN: a clean end', async (t) => {
  const { client, server } = await socketPair(t, 'unix');
  const transport = new SocketTransport(client);
  const got = record(transport);
  server.destroy();
  // Keep sending into the dead socket: EPIPE (or the end) must come through onclose, never as an uncaught error.
  for (let turn = 0; turn < 20 && got.closes.length === 0; turn++) {
    for (let i = 0; i < 100; i++) transport.send(frameOf(i, 1000));
    await turns(1);
  }
  await waitFor(() => got.closes.length > 0, 'onclose');
  await turns();
  assert.equal(got.closes.length, 1);
  assert.ok(got.closes[0] === undefined || got.closes[0] instanceof Error);
});

test('socket: our own socket destroyed by someone else → onclose with ENTANGLE_LINK_CLOSED', async (t) => {
  const { client } = await socketPair(t, 'unix');
  const transport = new SocketTransport(client);
  const got = record(transport);
  client.destroy();
  await waitFor(() => got.closes.length > 0, 'onclose');
  assertCode(got.closes[0], 'ENTANGLE_LINK_CLOSED');
});

test('socket: the peer ending inside a frame is ENTANGLE_LINK_PROTOCOL', async (t) => {
  const { client, server } = await socketPair(t, 'unix');
  const transport = new SocketTransport(server);
  const got = record(transport);
  client.end(Uint8Array.of(0, 0, 0, 10, 1, 2, 3));
  await waitFor(() => got.closes.length > 0, 'onclose');
  assertCode(got.closes[0], 'ENTANGLE_LINK_PROTOCOL');
  assert.equal(got.frames.length, 0);
});

test('socket: a peer that stops reading fills the socket; the frames queue meanwhile and all arrive in order once it reads', async (t) => {
  const { client, server } = await socketPair(t, 'unix');
  const sender = new SocketTransport(client);
  server.pause();
  const size = 64 * 1024;
  const count = 256; // 16 MiB: far more than a socket buffer holds
  for (let i = 0; i < count; i++) sender.send(frameOf(i, size));
  await waitFor(() => client.writableNeedDrain, 'the socket to be full');
  for (let i = 0; i < 10; i++) sender.send(frameOf(count + i, 10)); // queued behind the full socket
  const receiver = new SocketTransport(server);
  const got = record(receiver);
  server.resume();
  await waitFor(() => got.frames.length === count + 10, 'every frame');
  for (let i = 0; i < count; i++) assertFrame(got.frames[i], i, size);
  for (let i = 0; i < 10; i++) assertFrame(got.frames[count + i], count + i, 10);
});

test('socket: frames split across chunks anywhere (a byte at a time, headers across chunks, many per chunk) are reassembled', async () => {
  const written: Buffer[] = [];
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
  });
  const transport = new SocketTransport(duplex, { maxFrameBytes: 5000 });
  const got = record(transport);
  const frames = [frameOf(0, 0), frameOf(1, 1), frameOf(2, 5), frameOf(3, 300), frameOf(4, 4096), frameOf(5, 3)];
  const wire = Buffer.concat(frames.flatMap((f) => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(f.byteLength);
    return [header, f];
  }));
  for (let i = 0; i < wire.length; i++) duplex.push(wire.subarray(i, i + 1)); // a byte at a time
  duplex.push(wire); // all in one chunk
  for (let i = 0; i < wire.length; i += 3) duplex.push(wire.subarray(i, i + 3)); // headers across chunks
  await waitFor(() => got.frames.length === 3 * frames.length, 'every frame');
  for (let round = 0; round < 3; round++) {
    frames.forEach((f, i) => assertFrame(got.frames[round * frames.length + i], i, f.byteLength));
  }
  for (const frame of got.frames) assert.equal(Object.getPrototypeOf(frame), Uint8Array.prototype, 'Uint8Array, not Buffer');
  // One write for everything sent in a turn, each frame behind its 4-byte length.
  transport.send(Uint8Array.of(7));
  transport.send(new Uint8Array(0));
  transport.send(Uint8Array.of(8, 9));
  await turns(2);
  assert.equal(written.length, 1);
  assert.deepEqual([...written[0]!], [0, 0, 0, 1, 7, 0, 0, 0, 0, 0, 0, 0, 2, 8, 9]);
  transport.close();
  duplex.push(null);
  await waitFor(() => got.closes.length === 1, 'onclose');
  assert.deepEqual(got.closes, [undefined]);
});

test('socket: ref() and unref() forward to the socket; the transport itself leaves the ref state alone', async (t) => {
  const { client } = await socketPair(t, 'unix');
  const calls: string[] = [];
  const original = { ref: client.ref.bind(client), unref: client.unref.bind(client) };
  client.ref = () => (calls.push('ref'), original.ref());
  client.unref = () => (calls.push('unref'), original.unref());
  const transport = new SocketTransport(client);
  assert.deepEqual(calls, []);
  transport.unref();
  transport.ref();
  assert.deepEqual(calls, ['unref', 'ref']);
});

test('socket: a stream already destroyed when wrapped → onclose(ENTANGLE_LINK_CLOSED), asynchronously', async () => {
  const duplex = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  duplex.destroy();
  await turns();
  const transport = new SocketTransport(duplex);
  const got = record(transport);
  assert.equal(got.closes.length, 0);
  await turns();
  assert.equal(got.closes.length, 1);
  assertCode(got.closes[0], 'ENTANGLE_LINK_CLOSED');
});
