// Shared by the Node transport tests: recording a transport, waiting on real I/O with a deadline,
// Links nodes on the system clock, and the checks every transport must pass (whole frames in
// order both ways, a Links handshake and messages over it, and a clean end).

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { EntangleError } from '../../src/errors.ts';
import { Links, type LinksDelegate } from '../../src/link/links.ts';
import { randomNodeId, type NodeId } from '../../src/link/node-id.ts';
import type { NodeFrameTransport } from '../../src/transports/node-transport.ts';

export interface Recorded {
  frames: Uint8Array[];
  closes: unknown[];
}

/** Records what a transport delivers and each onclose call. */
export function record(transport: NodeFrameTransport): Recorded {
  const out: Recorded = { frames: [], closes: [] };
  transport.onframe = (frame) => out.frames.push(frame);
  transport.onclose = (error) => out.closes.push(error);
  return out;
}

/** Polls `condition` until it holds; fails after `ms`. */
export async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waitFor: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A few more turns of the event loop: for asserting that something did not happen. */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function assertCode(error: unknown, code: string): void {
  assert.ok(error instanceof EntangleError, `expected an EntangleError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
}

/** A frame of `size` bytes whose first 4 bytes number it and whose rest is a pattern of `n`. */
export function frameOf(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (n * 31 + i * 7) & 0xff;
  if (size >= 4) new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function assertFrame(frame: Uint8Array | undefined, n: number, size: number): void {
  assert.ok(frame instanceof Uint8Array, `frame ${n} is missing`);
  assert.equal(frame.byteLength, size, `frame ${n}: size`);
  const expected = frameOf(n, size);
  // Compare as Buffers: fast for a MiB, and the message names the first difference.
  assert.ok(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).equals(expected), `frame ${n}: bytes differ`);
}

/** Two connected transports of one kind, and how to tell that both underlying handles are gone. */
export interface TransportPair {
  a: NodeFrameTransport;
  b: NodeFrameTransport;
  /** Resolves once both ends' handles (sockets, WebSockets, ports) are closed. */
  closed: Promise<void>;
}

export const SIZES = [0, 1, 100, 65536, 1024 * 1024 + 7];

/** Every size both ways, then 1,000 small frames in one turn: all whole, in order, none merged. */
export async function checkFrames(pair: TransportPair): Promise<void> {
  const { a, b } = pair;
  const atB = record(b);
  const atA = record(a);
  SIZES.forEach((size, i) => a.send(frameOf(i, size)));
  SIZES.forEach((size, i) => b.send(frameOf(100 + i, size)));
  await waitFor(() => atB.frames.length >= SIZES.length && atA.frames.length >= SIZES.length, 'frames of every size');
  SIZES.forEach((size, i) => {
    assertFrame(atB.frames[i], i, size);
    assertFrame(atA.frames[i], 100 + i, size);
  });
  atB.frames.length = 0;
  atA.frames.length = 0;
  for (let i = 0; i < 1000; i++) a.send(frameOf(i, 4 + (i % 50)));
  for (let i = 0; i < 1000; i++) b.send(frameOf(i, 4 + (i % 7)));
  await waitFor(() => atB.frames.length >= 1000 && atA.frames.length >= 1000, '1,000 small frames each way');
  await turns();
  assert.equal(atB.frames.length, 1000, 'no frame merged or split');
  assert.equal(atA.frames.length, 1000, 'no frame merged or split');
  for (let i = 0; i < 1000; i++) {
    assertFrame(atB.frames[i], i, 4 + (i % 50));
    assertFrame(atA.frames[i], i, 4 + (i % 7));
  }
  const total = SIZES.reduce((sum, size) => sum + size, 0);
  assert.equal(a.stats.framesSent, SIZES.length + 1000);
  assert.equal(b.stats.framesReceived, SIZES.length + 1000);
  assert.equal(b.stats.bytesReceived, a.stats.bytesSent);
  assert.ok(a.stats.bytesSent > total);
  assert.deepEqual(atA.closes, []);
  assert.deepEqual(atB.closes, []);
}

/** Graceful close: what was sent before close() arrives, then both ends see onclose(undefined) once. */
export async function checkGracefulClose(pair: TransportPair): Promise<void> {
  const { a, b } = pair;
  const atA = record(a);
  const atB = record(b);
  for (let i = 0; i < 100; i++) a.send(frameOf(i, 10 + i));
  a.send(frameOf(100, 200_000));
  a.close();
  a.close();
  a.send(frameOf(999, 10)); // after close: dropped, no throw
  assert.deepEqual(atA.closes, [], 'onclose is never called from inside close()');
  await waitFor(() => atA.closes.length > 0 && atB.closes.length > 0, 'both ends closed');
  await pair.closed;
  await turns();
  assert.equal(atB.frames.length, 101, 'every frame sent before close() arrived');
  for (let i = 0; i < 100; i++) assertFrame(atB.frames[i], i, 10 + i);
  assertFrame(atB.frames[100], 100, 200_000);
  assert.deepEqual(atA.closes, [undefined]);
  assert.deepEqual(atB.closes, [undefined]);
  b.send(frameOf(1, 10)); // after the peer's close: dropped, no throw
  assert.equal(atA.frames.length, 0);
}

export interface LinkNode {
  id: NodeId;
  links: Links;
  received: Uint8Array[];
  lost: EntangleError[];
}

export function makeLinkNode(token?: string): LinkNode {
  const node: LinkNode = { id: randomNodeId(), links: undefined as unknown as Links, received: [], lost: [] };
  const delegate: LinksDelegate = {
    peerUp: () => {},
    message: (_peer, bytes) => node.received.push(bytes),
    acked: () => {},
    peerLost: (_peer, error) => node.lost.push(error),
  };
  node.links = new Links({
    localNode: node.id,
    delegate,
    // Short timers, so that a test that leaks one fails quickly rather than hangs.
    limits: { handshakeTimeoutMs: 5_000, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2_000, graceMs: 0, ackDelayMs: 5 },
    ...(token === undefined ? {} : { token }),
  });
  return node;
}

/** A Links handshake over the pair, messages both ways (up to 1 MiB), then links.close(): both peers lost, transports closed, no timers. */
export async function checkLinks(pair: TransportPair, token?: string): Promise<void> {
  const a = makeLinkNode(token);
  const b = makeLinkNode(token);
  try {
    const [peerOfA, peerOfB] = await Promise.all([
      a.links.attach(pair.a, { role: 'dial', graceMs: 0 }),
      b.links.attach(pair.b, { role: 'accept', graceMs: 0 }),
    ]);
    assert.equal(peerOfA, b.id);
    assert.equal(peerOfB, a.id);
    const sizes = [0, 5, 100, 70_000, 1024 * 1024];
    for (let i = 0; i < 100; i++) a.links.send(b.id, frameOf(i, sizes[i % sizes.length]! + 4));
    for (let i = 0; i < 50; i++) b.links.send(a.id, frameOf(i, 8));
    await waitFor(() => b.received.length === 100 && a.received.length === 50, 'messages both ways');
    for (let i = 0; i < 100; i++) assertFrame(b.received[i], i, sizes[i % sizes.length]! + 4);
    for (let i = 0; i < 50; i++) assertFrame(a.received[i], i, 8);
    await waitFor(() => a.links.stats().unackedMessages === 0, 'acks');
    a.links.close();
    await waitFor(() => a.lost.length === 1 && b.lost.length === 1, 'peerLost on both sides');
    assertCode(a.lost[0], 'ENTANGLE_LINK_CLOSED');
    assertCode(b.lost[0], 'ENTANGLE_LINK_CLOSED');
    await pair.closed;
    for (const node of [a, b]) {
      const stats = node.links.stats();
      assert.equal(stats.links, 0);
      assert.equal(stats.pendingTimers, 0, 'no timers left');
      assert.equal(stats.handshakes, 0);
    }
  } finally {
    a.links.close();
    b.links.close();
  }
  assert.equal(b.links.stats().pendingTimers, 0);
}

/** Registers `cleanup` on the test (it runs whether the test passed or not). */
export function cleanupAfter(t: TestContext, cleanup: () => unknown): void {
  t.after(async () => {
    await cleanup();
  });
}
