// FrameReader (src/transports/frame-reader.ts): the socket framing read from chunks cut anywhere,
// and through net.Socket's `onread` (simulated here read by read, with reads of any size), where
// a frame that spans reads is read straight into its own bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameReader } from '../../src/transports/frame-reader.ts';
import { assertFrame, frameOf } from './helpers.ts';

const SIZES = [0, 1, 3, 4, 5, 100, 4096, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 65_536, 65_540, 200_000];

/** The bytes on the wire for frames of `sizes` (numbered from 0). */
function wireOf(sizes: readonly number[]): Uint8Array {
  return Buffer.concat(sizes.flatMap((size, i) => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(size);
    return [header, frameOf(i, size)];
  }));
}

function reader(maxFrameBytes = 1 << 20): { reader: FrameReader; frames: Uint8Array[]; tooLarge: number[] } {
  const frames: Uint8Array[] = [];
  const tooLarge: number[] = [];
  return { reader: new FrameReader({ frame: (f) => frames.push(f), tooLarge: (n) => tooLarge.push(n) }, maxFrameBytes), frames, tooLarge };
}

/** Feeds `wire` through `onread` as a socket would: each read fills at most the buffer offered, and at most `cut(i)` bytes. Returns the buffers offered. */
function readThrough(r: FrameReader, wire: Uint8Array, cut: (read: number) => number): Uint8Array[] {
  const offered: Uint8Array[] = [];
  let pos = 0;
  for (let read = 0; pos < wire.length; read++) {
    const buffer = r.onread.buffer();
    offered.push(buffer);
    const n = Math.max(1, Math.min(buffer.length, wire.length - pos, cut(read)));
    buffer.set(wire.subarray(pos, pos + n));
    pos += n;
    // Bytes past n in the buffer are whatever was there: the reader must not look at them.
    if (n < buffer.length) buffer[n] = 0xff;
    if (!r.onread.callback(n, buffer)) break;
  }
  return offered;
}

test('frame reader: chunks cut anywhere give every frame whole and in order; whole frames in a chunk are views of it', () => {
  const wire = wireOf(SIZES);
  for (const step of [1, 3, 4, 7, 1000, 65_536, wire.length]) {
    const { reader: r, frames } = reader();
    for (let i = 0; i < wire.length; i += step) r.chunk(wire.subarray(i, i + step));
    assert.equal(frames.length, SIZES.length, `step ${step}`);
    SIZES.forEach((size, i) => assertFrame(frames[i], i, size));
    assert.equal(r.inFrame, false);
    if (step === wire.length) assert.ok(frames.every((f) => f.buffer === wire.buffer), 'one chunk: every frame a view');
  }
});

test('frame reader: through onread, reads of any size give every frame whole and in order; a frame missing 16 KiB or more is read into its own bytes', () => {
  const wire = wireOf(SIZES);
  for (const cut of [1, 2, 5, 4096, 65_536, 1 << 20]) {
    const { reader: r, frames } = reader();
    const offered = readThrough(r, wire, () => cut);
    assert.equal(frames.length, SIZES.length, `reads of ≤ ${cut}`);
    SIZES.forEach((size, i) => assertFrame(frames[i], i, size));
    const direct = offered.filter((buffer) => frames.some((f) => f.buffer === buffer.buffer));
    if (cut >= 4096) assert.ok(direct.length > 0, `reads of ≤ ${cut}: the large frames were read into their own bytes`);
    assert.equal(r.inFrame, false);
  }
  // Frames copied out of the reused buffer do not change when it is read into again.
  const { reader: r, frames } = reader();
  readThrough(r, wireOf([10, 20]), () => 1 << 20);
  readThrough(r, wireOf([30]), () => 1 << 20);
  assertFrame(frames[0], 0, 10);
  assertFrame(frames[1], 1, 20);
  assertFrame(frames[2], 0, 30);
});

test('frame reader: random frames and random cuts, chunks or onread, always the same frames', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 16_000, max: 70_000 })), { maxLength: 12 }),
    fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 20 }),
    fc.boolean(),
    (sizes, cuts, onread) => {
      const wire = wireOf(sizes);
      const { reader: r, frames } = reader();
      if (onread) {
        readThrough(r, wire, (read) => cuts[read % cuts.length]!);
      } else {
        for (let pos = 0, k = 0; pos < wire.length; k++) {
          const n = cuts[k % cuts.length]!;
          r.chunk(wire.subarray(pos, pos + n));
          pos += n;
        }
      }
      assert.equal(frames.length, sizes.length);
      sizes.forEach((size, i) => assertFrame(frames[i], i, size));
      assert.equal(r.inFrame, false);
    },
  ), { numRuns: 150 });
});

test('frame reader: a header over maxFrameBytes stops it at once (nothing after is read); inFrame tells a cut header or frame; stop() drops them', () => {
  const { reader: r, frames, tooLarge } = reader(1000);
  r.chunk(Buffer.concat([wireOf([5]), Uint8Array.of(0, 0, 3, 0xe9), wireOf([5])]));
  assert.deepEqual(tooLarge, [1001]);
  assert.equal(frames.length, 1, 'the frame before it only');
  r.chunk(wireOf([5]));
  assert.equal(frames.length, 1, 'stopped');
  assert.equal(r.onread.callback(4, Uint8Array.of(0, 0, 0, 0)), false, 'onread asks the socket to stop reading');

  const cut = reader();
  cut.reader.chunk(Uint8Array.of(0, 0));
  assert.equal(cut.reader.inFrame, true, 'half a header');
  cut.reader.chunk(Uint8Array.of(0, 9, 1, 2));
  assert.equal(cut.reader.inFrame, true, 'part of a frame');
  cut.reader.stop();
  assert.equal(cut.reader.inFrame, false);
  cut.reader.chunk(new Uint8Array(7));
  assert.equal(cut.frames.length, 0);
});

test('frame reader: a frame\'s bytes are allocated as they arrive, at most 4× what has arrived (or 64 KiB): a header claiming 60 MiB costs its sender no more', () => {
  const length = 60 * 1024 * 1024;
  const body = new Uint8Array(length).map((_, i) => (i * 7) & 0xff);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  for (const via of ['chunks', 'onread'] as const) {
    const { reader: r, frames } = reader(64 * 1024 * 1024);
    let arrived = 0;
    const check = (): void => assert.ok(r.roomBytes <= Math.max(64 * 1024, 4 * arrived), `${via}: ${r.roomBytes} bytes of room for ${arrived} arrived`);
    if (via === 'chunks') {
      r.chunk(Buffer.concat([header, body.subarray(0, 10)]));
      arrived = 10;
      check();
      for (let pos = 10; pos < length; pos += 1_000_000) {
        r.chunk(body.subarray(pos, pos + 1_000_000));
        arrived = Math.min(length, pos + 1_000_000);
        if (arrived < length) check();
      }
    } else {
      const wire = Buffer.concat([header, body]);
      let pos = 0;
      while (pos < wire.length) {
        const buffer = r.onread.buffer();
        const n = Math.min(buffer.length, wire.length - pos, 300_000);
        buffer.set(wire.subarray(pos, pos + n));
        pos += n;
        r.onread.callback(n, buffer);
        arrived = Math.max(0, pos - 4);
        if (arrived < length && arrived > 0) check();
      }
    }
    assert.equal(frames.length, 1, via);
    assert.equal(frames[0]!.length, length);
    assert.ok(Buffer.from(frames[0]!.buffer, frames[0]!.byteOffset, length).equals(body), `${via}: the bytes`);
    assert.equal(r.roomBytes, 0);
  }
});
