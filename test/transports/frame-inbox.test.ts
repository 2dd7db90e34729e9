// A peer may speak before the link attaches: frames that arrive before a transport's first
// onframe wait for it, in order, and frames after them still come behind them.

import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { SocketTransport } from '../../src/transports/socket.ts';
import { WebSocketTransport } from '../../src/transports/ws.ts';

const frame = (n: number): Uint8Array => Uint8Array.of(n);
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('early frames: a socket peer that speaks first; frames kept until onframe is set, then later ones behind them', async () => {
  const server = createServer((socket: Socket) => {
    const t = new SocketTransport(socket);
    t.send(frame(1));
    t.send(frame(2));
    setTimeout(() => t.send(frame(3)), 60);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const socket = netConnect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const client = new SocketTransport(socket);
  await tick(30); // the first two frames have arrived; nobody listens yet
  const got: number[] = [];
  client.onframe = (f) => got.push(f[0]!);
  await tick(80);
  assert.deepEqual(got, [1, 2, 3]);
  client.close();
  server.close();
});

test('early frames: a ws server whose first message comes with the upgrade answer', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws) => new WebSocketTransport(ws).send(frame(7)));
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as { port: number };
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const client = new WebSocketTransport(ws);
  await tick(50);
  const got: number[] = [];
  client.onframe = (f) => got.push(f[0]!);
  await tick(10);
  assert.deepEqual(got, [7]);
  client.close();
  wss.close();
});
