// WorkerPortTransport: over a MessageChannel in this thread and over a real Worker (a fixture that
// echoes, runs Links, throws or posts garbage): whole frames in order both ways, Links over it,
// transfer above the threshold, exit and close detection, refused messages, ref state.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { WorkerPortTransport } from '../../src/transports/worker-port.ts';
import {
  assertCode, assertFrame, checkFrames, checkGracefulClose, checkLinks, frameOf, makeLinkNode, record, SIZES, turns, waitFor,
  type TransportPair,
} from './helpers.ts';

function portClosed(port: MessagePort): Promise<void> {
  return new Promise((resolve) => port.once('close', () => resolve()));
}

/** Two transports over a fresh MessageChannel; both ports closed after the test. */
function channelPair(t: TestContext): TransportPair & { port1: MessagePort; port2: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const closed = Promise.all([portClosed(port1), portClosed(port2)]).then(() => {});
  t.after(async () => {
    port1.close();
    await closed;
  });
  return { port1, port2, a: new WorkerPortTransport(port1), b: new WorkerPortTransport(port2), closed };
}

type Mode = 'echo' | 'links' | 'throw' | 'garbage';

const fixture = new URL('./fixtures/echo-worker.ts', import.meta.url).href;
// Resolved here: an eval'd worker would resolve a bare specifier from the working directory.
const tsxApi = import.meta.resolve('tsx/esm/api');

/**
 * The echo worker (TypeScript, run through tsx); terminated after the test if it is still running.
 * On Node 20, `execArgv: ['--import', 'tsx']` does not reach a worker's entry module ("Unknown file
 * extension .ts"), so a one-line entry registers tsx's loader in the thread, then imports the fixture.
 */
function spawn(t: TestContext, mode: Mode, token?: string): { worker: Worker; exited: Promise<number> } {
  const entry = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(fixture)}); });`;
  const worker = new Worker(entry, {
    eval: true,
    workerData: token === undefined ? { mode } : { mode, token },
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  worker.on('error', () => {}); // the 'throw' fixture's error is asserted through the transport
  t.after(async () => {
    await worker.terminate();
    await exited;
  });
  return { worker, exited };
}

test('worker-port (MessageChannel): frames of 0 B to 1 MiB + 7 and 1,000 small ones in one turn arrive whole and in order, both ways', async (t) => {
  await checkFrames(channelPair(t));
});

test('worker-port (MessageChannel): close() is graceful — frames sent before it arrive, then both ends see onclose(undefined)', async (t) => {
  await checkGracefulClose(channelPair(t));
});

test('worker-port (MessageChannel): a Links handshake and messages over it, without a token; links.close() loses the peer on both sides and leaves nothing', async (t) => {
  await checkLinks(channelPair(t));
});

test('worker-port (MessageChannel): the same with a token', async (t) => {
  await checkLinks(channelPair(t), 'a shared secret');
});

test('worker-port (Worker): the echo worker returns every frame whole and in order; frames of 4 KiB or more that own their buffer are transferred', async (t) => {
  const { worker } = spawn(t, 'echo');
  const transport = new WorkerPortTransport(worker);
  const got = record(transport);
  const sent = SIZES.map((size, i) => frameOf(i, size));
  for (const frame of sent) transport.send(frame);
  // Transferred (detached) from 4 KiB up; copied below, so the sender keeps them.
  assert.deepEqual(sent.map((f) => f.byteLength), SIZES.map((size) => (size >= 4096 ? 0 : size)));
  for (let i = 0; i < 1000; i++) transport.send(frameOf(i, 4 + (i % 50)));
  await waitFor(() => got.frames.length === SIZES.length + 1000, 'every frame echoed');
  SIZES.forEach((size, i) => assertFrame(got.frames[i], i, size));
  for (let i = 0; i < 1000; i++) assertFrame(got.frames[SIZES.length + i], i, 4 + (i % 50));
  assert.equal(transport.stats.framesReceived, SIZES.length + 1000);
  assert.equal(transport.stats.bytesReceived, transport.stats.bytesSent);
  assert.deepEqual(got.closes, []);
});

test('worker-port: a view into a larger buffer is posted as just its bytes (the clone would copy the whole buffer)', async (t) => {
  const { a, b } = channelPair(t);
  const got = record(b);
  const big = new Uint8Array(64 * 1024);
  big.set(frameOf(7, 100), 1000);
  a.send(big.subarray(1000, 1100));
  await waitFor(() => got.frames.length === 1, 'the frame');
  assertFrame(got.frames[0], 7, 100);
  assert.equal(got.frames[0]!.buffer.byteLength, 100);
  assert.equal(big.byteLength, 64 * 1024, 'the sender\'s buffer is not detached');
});

test('worker-port (Worker): Links across a real worker thread, with a token; links.close() loses it on both sides and the worker then exits by itself', async (t) => {
  const { worker, exited } = spawn(t, 'links', 'a shared secret');
  const node = makeLinkNode('a shared secret');
  const exits: number[] = [];
  const transport = new WorkerPortTransport(worker, { onExit: (code) => exits.push(code) });
  try {
    const peer = await node.links.attach(transport, { role: 'dial', graceMs: 0 });
    for (let i = 0; i < 100; i++) node.links.send(peer, frameOf(i, i % 10 === 0 ? 70_000 : 20));
    await waitFor(() => node.received.length === 100, 'every message echoed');
    for (let i = 0; i < 100; i++) assertFrame(node.received[i], i, i % 10 === 0 ? 70_000 : 20);
    node.links.close();
    await waitFor(() => node.lost.length === 1, 'peerLost');
    assertCode(node.lost[0], 'ENTANGLE_LINK_CLOSED');
    assert.equal(await exited, 0, 'nothing keeps the worker alive once its links are closed');
    assert.deepEqual(exits, [], 'the transport was closed before the exit: not reported');
    assert.equal(node.links.stats().pendingTimers, 0);
  } finally {
    node.links.close();
  }
});

test('worker-port (Worker): worker.terminate() → onclose exactly once with ENTANGLE_LINK_CLOSED naming the exit code; onExit first; sends afterwards do not throw', async (t) => {
  const { worker } = spawn(t, 'echo');
  const order: string[] = [];
  const transport = new WorkerPortTransport(worker, { onExit: (code) => order.push(`exit ${code}`) });
  const got = record(transport);
  transport.onclose = (error) => {
    order.push('close');
    got.closes.push(error);
  };
  transport.send(frameOf(1, 10));
  await waitFor(() => got.frames.length === 1, 'the worker is up');
  await worker.terminate();
  await waitFor(() => got.closes.length > 0, 'onclose');
  transport.send(frameOf(2, 10));
  transport.close();
  await turns();
  assert.equal(got.closes.length, 1);
  assertCode(got.closes[0], 'ENTANGLE_LINK_CLOSED');
  assert.match((got.closes[0] as Error).message, /exited with code 1/);
  assert.deepEqual(order, ['exit 1', 'close']);
});

test('worker-port (Worker): a worker that throws → onclose with ENTANGLE_LINK_CLOSED, the thrown error as its cause', async (t) => {
  const { worker } = spawn(t, 'throw');
  const transport = new WorkerPortTransport(worker);
  const got = record(transport);
  transport.send(frameOf(1, 10));
  await waitFor(() => got.closes.length > 0, 'onclose');
  assertCode(got.closes[0], 'ENTANGLE_LINK_CLOSED');
  assert.match((got.closes[0] as Error).message, /thrown on purpose/);
  assert.match(String(((got.closes[0] as Error).cause as Error).message), /thrown on purpose/);
});

test('worker-port (Worker): a message that is not a Uint8Array → ENTANGLE_LINK_PROTOCOL; the worker is left running', async (t) => {
  const { worker } = spawn(t, 'garbage');
  const transport = new WorkerPortTransport(worker);
  const got = record(transport);
  await waitFor(() => got.closes.length > 0, 'onclose');
  assert.equal(got.closes.length, 1);
  assertCode(got.closes[0], 'ENTANGLE_LINK_PROTOCOL');
  assert.notEqual(worker.threadId, -1, 'not terminated: its owner does that');
});

test('worker-port (MessageChannel): a string on the port → ENTANGLE_LINK_PROTOCOL, and the port is closed (the other end sees it)', async (t) => {
  const { port2, a, b } = channelPair(t);
  const got = record(a);
  const other = record(b);
  port2.postMessage('not a frame');
  await waitFor(() => got.closes.length === 1 && other.closes.length === 1, 'both closed');
  assertCode(got.closes[0], 'ENTANGLE_LINK_PROTOCOL');
  assert.deepEqual(other.closes, [undefined]);
});

test('worker-port: a frame over maxFrameBytes → ENTANGLE_LINK_FRAME_TOO_LARGE', async (t) => {
  const { port1, port2 } = channelPair(t);
  const receiver = new WorkerPortTransport(port1, { maxFrameBytes: 1000 });
  const sender = new WorkerPortTransport(port2);
  const got = record(receiver);
  sender.send(frameOf(1, 1000));
  sender.send(frameOf(2, 1001));
  await waitFor(() => got.closes.length === 1, 'onclose');
  assertCode(got.closes[0], 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  assert.equal(got.frames.length, 1);
});

/** MessagePort.hasRef exists in Node 20 but not in its type definitions. */
function hasRef(port: MessagePort): boolean {
  return (port as unknown as { hasRef(): boolean }).hasRef();
}

test('worker-port: the ref state is left as Node sets it (listening refs a port) unless refed: false; ref()/unref() forward', (t) => {
  const { port1, port2 } = new MessageChannel();
  t.after(() => port1.close());
  const a = new WorkerPortTransport(port1);
  assert.equal(hasRef(port1), true);
  const b = new WorkerPortTransport(port2, { refed: false });
  assert.equal(hasRef(port2), false);
  b.ref();
  assert.equal(hasRef(port2), true);
  a.unref();
  assert.equal(hasRef(port1), false);
  b.unref();
});
