// WebSocketTransport over `ws` on 127.0.0.1: one frame per binary message (whole, in order, both
// ways), sends queued while connecting, Links over it, oversize and text messages refused,
// abrupt ends, close codes.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { WebSocketTransport } from '../../src/transports/ws.ts';
import {
  assertCode, assertFrame, checkFrames, checkGracefulClose, checkLinks, frameOf, record, turns, waitFor,
  type TransportPair,
} from './helpers.ts';

function wsClosed(ws: WebSocket): Promise<void> {
  return ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise((resolve) => ws.once('close', () => resolve()));
}

function opened(ws: WebSocket): Promise<void> {
  return ws.readyState === WebSocket.OPEN ? Promise.resolve() : new Promise((resolve) => ws.once('open', () => resolve()));
}

/** A server on 127.0.0.1:0 and a client connected to it; everything closed after the test. The client is returned still CONNECTING. */
async function wsPair(t: TestContext, options: { maxPayload?: number } = {}): Promise<{ client: WebSocket; server: Promise<WebSocket> }> {
  const maxPayload = options.maxPayload ?? 64 * 1024 * 1024 + 1024;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const server = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const { port } = wss.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { maxPayload });
  t.after(async () => {
    client.terminate();
    // A client that aborted its handshake may never have reached the server: terminate whatever did.
    for (const ws of wss.clients) ws.terminate();
    await Promise.all([wsClosed(client), ...[...wss.clients].map(wsClosed)]);
    await new Promise((resolve) => wss.close(resolve));
  });
  return { client, server };
}

async function transportPair(t: TestContext): Promise<TransportPair & { client: WebSocket; server: WebSocket }> {
  const { client, server: accepted } = await wsPair(t);
  const a = new WebSocketTransport(client); // still connecting: sends wait for 'open'
  const server = await accepted;
  const b = new WebSocketTransport(server);
  return { client, server, a, b, closed: Promise.all([wsClosed(client), wsClosed(server)]).then(() => {}) };
}

test('ws: frames of 0 B to 1 MiB + 7 and 1,000 small ones in one turn arrive whole and in order, both ways', async (t) => {
  await checkFrames(await transportPair(t));
});

test('ws: close() is graceful — frames sent before it arrive, then both ends see onclose(undefined)', async (t) => {
  await checkGracefulClose(await transportPair(t));
});

test('ws: a Links handshake and messages over it, without a token; links.close() loses the peer on both sides and leaves nothing', async (t) => {
  await checkLinks(await transportPair(t));
});

test('ws: the same with a token', async (t) => {
  await checkLinks(await transportPair(t), 'a shared secret');
});

test('ws: frames sent while the client is CONNECTING are queued and sent on open; close() while CONNECTING sends them first', async (t) => {
  const { client, server } = await wsPair(t);
  const transport = new WebSocketTransport(client);
  assert.equal(client.readyState, WebSocket.CONNECTING);
  const mine = record(transport);
  for (let i = 0; i < 10; i++) transport.send(frameOf(i, 100 + i));
  transport.close();
  const peer = new WebSocketTransport(await server);
  const got = record(peer);
  await waitFor(() => got.closes.length === 1 && mine.closes.length === 1, 'both closed');
  assert.equal(got.frames.length, 10);
  for (let i = 0; i < 10; i++) assertFrame(got.frames[i], i, 100 + i);
  assert.deepEqual(got.closes, [undefined]);
  assert.deepEqual(mine.closes, [undefined]);
});

test('ws: close() while CONNECTING with nothing queued aborts the handshake quietly: onclose(undefined)', async (t) => {
  const { client } = await wsPair(t);
  const transport = new WebSocketTransport(client);
  const mine = record(transport);
  transport.close();
  assert.deepEqual(mine.closes, []);
  await waitFor(() => mine.closes.length === 1, 'onclose');
  assert.deepEqual(mine.closes, [undefined]);
});

test('ws: a message over maxPayload (= maxFrameBytes) → ENTANGLE_LINK_FRAME_TOO_LARGE on both ends (ws refuses it before buffering; 1009)', async (t) => {
  const { client, server: accepted } = await wsPair(t, { maxPayload: 1000 });
  const sender = new WebSocketTransport(client);
  const server = await accepted;
  const receiver = new WebSocketTransport(server, { maxFrameBytes: 1000 });
  const got = record(receiver);
  const sent = record(sender);
  sender.send(frameOf(1, 1000));
  await waitFor(() => got.frames.length === 1, 'the frame of maxFrameBytes');
  sender.send(frameOf(2, 1001));
  await waitFor(() => got.closes.length === 1 && sent.closes.length === 1, 'both closed');
  assertCode(got.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assertCode(sent.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assert.equal(got.frames.length, 1);
});

test('ws: the transport checks maxFrameBytes itself when the WebSocket allows more (closes with 1009)', async (t) => {
  const { client, server: accepted } = await wsPair(t);
  const sender = new WebSocketTransport(client);
  const receiver = new WebSocketTransport(await accepted, { maxFrameBytes: 1000 });
  const got = record(receiver);
  const sent = record(sender);
  sender.send(frameOf(2, 1001));
  await waitFor(() => got.closes.length === 1 && sent.closes.length === 1, 'both closed');
  assertCode(got.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assertCode(sent.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assert.equal(got.frames.length, 0);
});

test('ws: a text message is ENTANGLE_LINK_PROTOCOL; the peer sees the close code 1003', async (t) => {
  const { client, server: accepted } = await wsPair(t);
  const sender = new WebSocketTransport(client);
  const sent = record(sender);
  const receiver = new WebSocketTransport(await accepted);
  const got = record(receiver);
  await opened(client);
  client.send('hello', { binary: false });
  await waitFor(() => got.closes.length === 1 && sent.closes.length === 1, 'both closed');
  assertCode(got.closes[0], 'ENTANGLE_LINK_PROTOCOL');
  assertCode(sent.closes[0], 'ENTANGLE_LINK_CLOSED');
  assert.match((sent.closes[0] as Error).message, /1003/);
  assert.equal(got.frames.length, 0);
});

test('ws: the other side terminated → onclose exactly once, with ENTANGLE_LINK_CLOSED (1006); sends afterwards do not throw', async (t) => {
  const { client, server: accepted } = await wsPair(t);
  const transport = new WebSocketTransport(client);
  const server = await accepted;
  await opened(client);
  const got = record(transport);
  server.terminate();
  await waitFor(() => got.closes.length > 0, 'onclose');
  transport.send(frameOf(1, 10));
  transport.close();
  await turns();
  assert.equal(got.closes.length, 1);
  assertCode(got.closes[0], 'ENTANGLE_LINK_CLOSED');
  assert.match((got.closes[0] as Error).message, /1006/);
});

test('ws: a close with a code other than 1000/1001/1005 is ENTANGLE_LINK_CLOSED naming the code', async (t) => {
  const { client, server: accepted } = await wsPair(t);
  const transport = new WebSocketTransport(client);
  const server = await accepted;
  const got = record(transport);
  server.close(4000, 'bye');
  await waitFor(() => got.closes.length > 0, 'onclose');
  assertCode(got.closes[0], 'ENTANGLE_LINK_CLOSED');
  assert.match((got.closes[0] as Error).message, /4000/);
});

test('ws: ref() and unref() forward to the underlying socket once there is one', async (t) => {
  const { client } = await wsPair(t);
  const transport = new WebSocketTransport(client);
  transport.unref(); // still connecting: applied on open
  await opened(client);
  const socket = (client as unknown as { _socket: import('node:net').Socket })._socket;
  const calls: string[] = [];
  const original = { ref: socket.ref.bind(socket), unref: socket.unref.bind(socket) };
  socket.ref = () => (calls.push('ref'), original.ref());
  socket.unref = () => (calls.push('unref'), original.unref());
  transport.unref();
  transport.ref();
  assert.deepEqual(calls, ['unref', 'ref']);
});
