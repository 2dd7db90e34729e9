// The in-memory transport: FIFO per direction whatever the delays, graceful close, sever (both
// ends close, frames in flight lost), blackhole (silence without close), and the sever hook.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/link/clock.ts';
import { MemoryTransport } from '../../src/transports/memory.ts';

function record(t: MemoryTransport): { frames: number[]; closes: unknown[] } {
  const out = { frames: [] as number[], closes: [] as unknown[] };
  t.onframe = (f) => out.frames.push(f[0]!);
  t.onclose = (e) => out.closes.push(e);
  return out;
}

test('memory transport: each direction is FIFO whatever the per-frame delays', () => {
  const clock = new ManualClock();
  let n = 0;
  const [a, b] = MemoryTransport.pair({ schedule: clock.schedule, delay: () => [30, 0, 10, 5][n++ % 4]! });
  const got = record(b);
  const back = record(a);
  for (let i = 0; i < 20; i++) a.send(Uint8Array.of(i));
  for (let i = 0; i < 5; i++) b.send(Uint8Array.of(100 + i));
  clock.advance(1000);
  assert.deepEqual(got.frames, [...Array(20).keys()]);
  assert.deepEqual(back.frames, [100, 101, 102, 103, 104]);
  assert.equal(a.framesSent, 20);
  assert.equal(clock.pending, 0);
});

test('memory transport: close is graceful — frames sent before it arrive, then both ends see close', () => {
  const clock = new ManualClock();
  const [a, b] = MemoryTransport.pair({ schedule: clock.schedule, delay: () => 5 });
  const ra = record(a);
  const rb = record(b);
  a.send(Uint8Array.of(1));
  a.send(Uint8Array.of(2));
  a.close();
  a.send(Uint8Array.of(3)); // after close: dropped
  b.send(Uint8Array.of(9)); // towards a closed end: dropped
  clock.advance(100);
  assert.deepEqual(rb.frames, [1, 2]);
  assert.deepEqual(ra.frames, []);
  assert.deepEqual(ra.closes, [undefined]);
  assert.deepEqual(rb.closes, [undefined]);
  assert.ok(a.closed && b.closed);
  assert.equal(clock.pending, 0);
});

test('memory transport: sever closes both ends with an error and loses what is in flight', () => {
  const clock = new ManualClock();
  const [a, b] = MemoryTransport.pair({ schedule: clock.schedule, delay: () => 5 });
  const ra = record(a);
  const rb = record(b);
  a.send(Uint8Array.of(1));
  b.send(Uint8Array.of(2));
  b.sever();
  a.send(Uint8Array.of(3));
  clock.advance(100);
  assert.deepEqual(ra.frames, []);
  assert.deepEqual(rb.frames, []);
  assert.equal(ra.closes.length, 1);
  assert.ok(ra.closes[0] instanceof Error);
  assert.equal(rb.closes.length, 1);
  assert.equal(clock.pending, 0);
});

test('memory transport: blackhole is a stopped process — nothing arrives and nobody sees close', () => {
  const clock = new ManualClock();
  const [a, b] = MemoryTransport.pair({ schedule: clock.schedule });
  const ra = record(a);
  const rb = record(b);
  a.send(Uint8Array.of(1));
  a.blackhole();
  a.send(Uint8Array.of(2));
  b.send(Uint8Array.of(3));
  a.close();
  clock.advance(100);
  assert.deepEqual(rb.frames, []);
  assert.deepEqual(ra.frames, []);
  assert.deepEqual(rb.closes, []);
  assert.deepEqual(ra.closes, [undefined], 'the end that closed itself still hears it');
  assert.equal(clock.pending, 0);
});

test('memory transport: severOn breaks the pair at a chosen frame', () => {
  const clock = new ManualClock();
  const [a, b] = MemoryTransport.pair({ schedule: clock.schedule, severOn: (f) => f[0] === 3 });
  const rb = record(b);
  for (let i = 1; i <= 5; i++) a.send(Uint8Array.of(i));
  clock.advance(10);
  assert.deepEqual(rb.frames, []); // 1 and 2 were still in flight when 3 broke the pair
  assert.equal(rb.closes.length, 1);
  assert.equal(a.framesSent, 3, 'nothing is sent after the break');
  assert.equal(clock.pending, 0);
});

test('memory transport: the default schedule delivers on microtasks and timers', async () => {
  const [a, b] = MemoryTransport.pair({ delay: (f) => (f[0] === 2 ? 1 : 0) });
  const rb = record(b);
  a.send(Uint8Array.of(1));
  a.send(Uint8Array.of(2));
  a.send(Uint8Array.of(3));
  a.close();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(rb.frames, [1, 2, 3]);
  assert.deepEqual(rb.closes, [undefined]);
});
