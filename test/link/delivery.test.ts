// Links on one transport: exactly-once in-order delivery, batching, cumulative and standalone
// acks, the bounded resend buffer, bye, close, and hostile frames on an established link.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EntangleError } from '../../src/errors.ts';
import { ManualClock } from '../../src/link/clock.ts';
import type { FrameTransport } from '../../src/link/transport.ts';
import { DATA_OVERHEAD, encodeAck, encodeData, encodeHello, FRAME_ACK, FRAME_DATA } from '../../src/link/frames.ts';
import { advance, assertCode, assertNoLeaks, connect, makeNode, numbered, numberOf, settle } from './helpers.ts';

test('link delivery: messages arrive exactly once, in order, both ways, and are all acknowledged', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b);
  let n = 0;
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 50; i++) {
      assert.equal(a.links.send(b.id, numbered(n)), n + 1, 'send returns the per-link sequence number');
      b.links.send(a.id, numbered(n, 10));
      n++;
    }
    await settle(clock, [a, b]);
  }
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [...Array(n).keys()]);
  assert.deepEqual(a.received.get(b.id)!.map(numberOf), [...Array(n).keys()]);
  await advance(clock, 50, [a, b]);
  assert.equal(a.acked.get(b.id), n);
  assert.equal(b.acked.get(a.id), n);
  assert.equal(a.links.unackedBytes(b.id), 0);
  assert.equal(a.links.stats().unackedMessages, 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link batching: a thousand messages sent in one turn go out in one frame', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b);
  const before = a.links.stats().framesSent;
  for (let i = 0; i < 1000; i++) a.links.send(b.id, numbered(i, 32));
  await settle(clock, [a, b]);
  assert.equal(a.links.stats().framesSent - before, 1);
  assert.equal(b.received.get(a.id)!.length, 1000);
  await assertNoLeaks(clock, [a, b]);
});

test('link batching: a turn larger than maxFrameBytes goes out in as few frames as fit', async () => {
  const clock = new ManualClock();
  const limits = { maxFrameBytes: 1024 };
  const a = makeNode(clock, { limits });
  const b = makeNode(clock, { limits });
  const { ta } = await connect(clock, a, b);
  const sizes: number[] = [];
  const send = ta.send.bind(ta);
  ta.send = (frame) => { if (frame[0] === FRAME_DATA) sizes.push(frame.length); send(frame); };
  for (let i = 0; i < 100; i++) a.links.send(b.id, numbered(i, 100)); // 101 bytes each with its length
  await settle(clock, [a, b]);
  assert.equal(sizes.length, Math.ceil(100 / Math.floor((1024 - 6) / 101)));
  for (const size of sizes) assert.ok(size <= 1024);
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [...Array(100).keys()]);
  // One message that fills a frame by itself still goes.
  a.links.send(b.id, new Uint8Array(a.links.maxMessageBytes(b.id)));
  await settle(clock, [a, b]);
  assert.equal(b.received.get(a.id)!.length, 101);
  await assertNoLeaks(clock, [a, b]);
});

test('link batching: a frame batches at most 1 MiB of messages; one larger message still goes in a frame of its own', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  const { ta } = await connect(clock, a, b);
  const sizes: number[] = [];
  const send = ta.send.bind(ta);
  ta.send = (frame) => { if (frame[0] === FRAME_DATA) sizes.push(frame.length); send(frame); };
  for (let i = 0; i < 10; i++) a.links.send(b.id, numbered(i, 300 * 1024));
  a.links.send(b.id, numbered(10, 3 * 1024 * 1024));
  await settle(clock, [a, b]);
  // Three 300 KiB messages fit 1 MiB: 3 + 3 + 3 + 1, then the 3 MiB one alone.
  assert.equal(sizes.length, 5);
  for (const size of sizes.slice(0, 4)) assert.ok(size <= 1024 * 1024, `${size}`);
  assert.ok(sizes[4]! > 3 * 1024 * 1024);
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [...Array(11).keys()]);
  await assertNoLeaks(clock, [a, b]);
});

test('link pieces: a message sent as pieces arrives as their bytes, one message, in order with the others; anything but an array of Uint8Arrays is a TypeError', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b);
  const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
  a.links.send(b.id, numbered(0));
  assert.equal(a.links.sendPieces(b.id, [Uint8Array.of(1, 2), big, new Uint8Array(0), Uint8Array.of(3)]), 2);
  a.links.sendPieces(b.id, []);
  a.links.send(b.id, numbered(3));
  await settle(clock, [a, b]);
  const got = b.received.get(a.id)!;
  assert.equal(got.length, 4);
  assert.deepEqual([numberOf(got[0]!), numberOf(got[3]!)], [0, 3]);
  assert.deepEqual(got[1], Uint8Array.of(1, 2, ...big, 3));
  assert.equal(got[2]!.length, 0);
  assert.throws(() => a.links.sendPieces(b.id, Uint8Array.of(1) as unknown as Uint8Array[]), TypeError);
  assert.throws(() => a.links.sendPieces(b.id, [Uint8Array.of(1), [2] as unknown as Uint8Array]), TypeError);
  // Pieces count for the frame limit as their sum.
  assert.throws(() => a.links.sendPieces(b.id, [new Uint8Array(a.links.maxMessageBytes(b.id)), Uint8Array.of(1)]), (error: unknown) => {
    assertCode(error, 'ENTANGLE_LINK_FRAME_TOO_LARGE');
    return true;
  });
  await advance(clock, 50, [a, b]);
  assert.equal(a.links.unackedBytes(b.id), 0, 'their bytes are acknowledged as one message');
  await assertNoLeaks(clock, [a, b]);
});

test('link pieces: to a transport with sendPieces, a burst with messages of 8 KiB or more goes as pieces (their large pieces as they are); smaller bursts as one frame', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  const { ta } = await connect(clock, a, b);
  const gathered: Uint8Array[][] = [];
  let wholeData = 0;
  const send = ta.send.bind(ta);
  ta.send = (frame) => {
    if (frame[0] === FRAME_DATA) wholeData++;
    send(frame);
  };
  (ta as FrameTransport).sendPieces = (pieces, length) => {
    assert.equal(pieces.reduce((n, piece) => n + piece.length, 0), length);
    gathered.push([...pieces]);
    send(new Uint8Array(Buffer.concat(pieces)));
  };
  const big = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  a.links.send(b.id, numbered(0));
  a.links.sendPieces(b.id, [Uint8Array.of(1, 2), big]);
  a.links.send(b.id, big);
  a.links.send(b.id, numbered(3));
  await settle(clock, [a, b]);
  assert.equal(gathered.length, 1);
  assert.equal(gathered[0]!.filter((piece) => piece === big).length, 2, 'the 64 KiB piece and message are not copied');
  for (let i = 0; i < 10; i++) a.links.send(b.id, numbered(4 + i, 100));
  await settle(clock, [a, b]);
  assert.equal(gathered.length, 1);
  assert.equal(wholeData, 1, 'small messages: one joined frame');
  const got = b.received.get(a.id)!;
  assert.equal(got.length, 14);
  assert.deepEqual(got[1], Uint8Array.of(1, 2, ...big));
  assert.deepEqual(got[2], big);
  assert.deepEqual(got.filter((_, i) => i !== 1 && i !== 2).map(numberOf), [0, ...Array.from({ length: 11 }, (_, i) => 3 + i)]);
  await advance(clock, 50, [a, b]);
  assert.equal(a.links.unackedBytes(b.id), 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link acks: piggybacked on data when there is some, standalone after ackDelayMs when not', async () => {
  const clock = new ManualClock();
  const limits = { ackDelayMs: 10 };
  const a = makeNode(clock, { limits });
  const b = makeNode(clock, { limits });
  await connect(clock, a, b);
  // b answers within the delay: the ack rides on its data.
  a.links.send(b.id, numbered(1));
  await settle(clock, [a, b]);
  b.links.send(a.id, numbered(2));
  await settle(clock, [a, b]);
  assert.equal(a.acked.get(b.id), 1);
  assert.equal(b.links.stats().acksSent, 0);
  // a has nothing to send back: its ack goes alone after 10 ms.
  await advance(clock, 9, [a, b]);
  assert.equal(b.acked.get(a.id), undefined);
  await advance(clock, 1, [a, b]);
  assert.equal(b.acked.get(a.id), 1);
  assert.equal(a.links.stats().acksSent, 1);
  assert.equal(b.links.unackedBytes(a.id), 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link resend buffer: past maxUnackedBytes the peer is lost with ENTANGLE_LINK_RESEND_OVERFLOW, reported after send returns', async () => {
  const clock = new ManualClock();
  const limits = { maxUnackedBytes: 1000 };
  const a = makeNode(clock, { limits });
  const b = makeNode(clock, { limits });
  await connect(clock, a, b);
  for (let i = 0; i < 10; i++) a.links.send(b.id, numbered(i, 100));
  assert.equal(a.links.unackedBytes(b.id), 1000);
  a.links.send(b.id, numbered(10, 1)); // 1004 > 1000
  assert.equal(a.lost.size, 0, 'not reported from inside send');
  assert.throws(() => a.links.send(b.id, numbered(11)), (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_LINK_CLOSED');
  await settle(clock, [a, b]);
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_RESEND_OVERFLOW');
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_RESEND_OVERFLOW'); // told by the bye
  assert.equal(b.received.get(a.id), undefined, 'nothing of an overflowed batch is delivered');
  assert.deepEqual(a.links.peers(), []);
  await assertNoLeaks(clock, [a, b]);
});

test('link resend buffer: a peer that stops reading is lost once unacked bytes pass the limit', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { limits: { maxUnackedBytes: 10_000 } });
  const b = makeNode(clock);
  const { ta } = await connect(clock, a, b);
  ta.blackhole();
  let sent = 0;
  while (a.lost.size === 0) {
    a.links.send(b.id, numbered(sent++, 1000));
    await settle(clock, [a, b]);
  }
  assert.equal(sent, 11);
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_RESEND_OVERFLOW');
  await assertNoLeaks(clock, [a, b]);
});

test('link bye: disconnect delivers what was sent, then peerLost ENTANGLE_LINK_CLOSED on both sides, no grace', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  await connect(clock, a, b);
  for (let i = 0; i < 3; i++) a.links.send(b.id, numbered(i));
  a.links.disconnect(b.id);
  assert.throws(() => a.links.send(b.id, numbered(9)), (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_LINK_CLOSED');
  await settle(clock, [a, b]);
  assert.deepEqual(b.received.get(a.id)!.map(numberOf), [0, 1, 2]);
  assert.deepEqual(b.events.map((e) => e.kind), ['peerUp', 'message', 'message', 'message', 'peerLost']);
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_CLOSED');
  assertCode(a.lost.get(b.id), 'ENTANGLE_LINK_CLOSED');
  assert.deepEqual(b.links.peers(), []);
  assert.equal(b.links.stats().pendingTimers, 0);
  a.links.disconnect(b.id); // a second time: nothing
  await assertNoLeaks(clock, [a, b]);
});

test('link close: bye to every peer and every timer cancelled', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  const b = makeNode(clock);
  const c = makeNode(clock);
  await connect(clock, a, b);
  await connect(clock, c, a);
  a.links.send(b.id, numbered(1));
  a.links.close();
  assert.equal(a.links.stats().pendingTimers, 0);
  await settle(clock, [a, b, c]);
  assert.deepEqual([...a.lost.keys()].sort(), [b.id, c.id].sort());
  assert.equal(b.received.get(a.id)!.length, 1, 'what was sent before close is written before the bye');
  assertCode(b.lost.get(a.id), 'ENTANGLE_LINK_CLOSED');
  assertCode(c.lost.get(a.id), 'ENTANGLE_LINK_CLOSED');
  await assertNoLeaks(clock, [a, b, c]);
});

test('link send: unknown peers are ENTANGLE_LINK_CLOSED, messages too large for a frame ENTANGLE_LINK_FRAME_TOO_LARGE', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock, { limits: { maxFrameBytes: 4096 } });
  const b = makeNode(clock, { limits: { maxFrameBytes: 2048 } });
  await connect(clock, a, b);
  assert.throws(() => a.links.send('ab'.repeat(16), numbered(1)), (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_LINK_CLOSED');
  assert.throws(() => a.links.send(b.id, 'text' as unknown as Uint8Array), TypeError);
  // The smaller of both sides' limits decides.
  assert.equal(a.links.maxMessageBytes(b.id), 2048 - DATA_OVERHEAD);
  assert.throws(() => a.links.send(b.id, new Uint8Array(2048 - DATA_OVERHEAD + 1)), (e: unknown) => e instanceof EntangleError && e.code === 'ENTANGLE_LINK_FRAME_TOO_LARGE');
  a.links.send(b.id, new Uint8Array(2048 - DATA_OVERHEAD));
  await settle(clock, [a, b]);
  assert.equal(b.received.get(a.id)!.length, 1);
  assert.equal(a.lost.size, 0);
  await assertNoLeaks(clock, [a, b]);
});

test('link delegate: calling back into the table from message() is safe (an echo)', async () => {
  const clock = new ManualClock();
  const a = makeNode(clock);
  let echo: (peer: string, bytes: Uint8Array) => void = () => {};
  const b = makeNode(clock, { delegate: { message: (peer, bytes) => echo(peer, bytes) } });
  echo = (peer, bytes) => { b.links.send(peer, bytes); };
  await connect(clock, a, b);
  for (let i = 0; i < 100; i++) a.links.send(b.id, numbered(i));
  await settle(clock, [a, b]);
  assert.deepEqual(a.received.get(b.id)!.map(numberOf), [...Array(100).keys()]);
  await assertNoLeaks(clock, [a, b]);
});

test('link delegate: a delegate that throws from message() or acked() has its exception rethrown from the scheduler; the link and later messages are unaffected', async () => {
  const clock = new ManualClock();
  const got: number[] = [];
  const b = makeNode(clock, {
    delegate: {
      message: (_peer, bytes) => {
        got.push(numberOf(bytes));
        if (numberOf(bytes) === 1) throw new Error('the owner\'s bug');
      },
    },
  });
  let ackThrows = true;
  const a = makeNode(clock, {
    delegate: {
      acked: () => {
        if (ackThrows) {
          ackThrows = false;
          throw new Error('the owner\'s other bug');
        }
      },
    },
  });
  await connect(clock, a, b);
  for (let i = 0; i < 4; i++) a.links.send(b.id, numbered(i));
  await assert.rejects(settle(clock, [a, b]), /the owner's bug/);
  await assert.rejects(advance(clock, 50, [a, b]), /the owner's other bug/);
  await advance(clock, 50, [a, b]);
  assert.deepEqual(got, [0, 1, 2, 3], 'the messages after the throw were delivered in the same turn');
  a.links.send(b.id, numbered(4));
  await advance(clock, 50, [a, b]);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  assert.equal(a.links.unackedBytes(b.id), 0, 'and acknowledged');
  await assertNoLeaks(clock, [a, b]);
});

test('link hostile frames: protocol breaches on an established link lose the peer with a typed code on both sides', async () => {
  const cases: [string, (seqSent: number) => Uint8Array, string][] = [
    ['unknown frame type', () => Uint8Array.of(0x7f), 'ENTANGLE_LINK_PROTOCOL'],
    ['a hello after the handshake', () => encodeHello({ flags: 0, node: 'ab'.repeat(16), nonce: new Uint8Array(32), maxFrameBytes: 4096 }), 'ENTANGLE_LINK_PROTOCOL'],
    ['an ack for messages never sent', (sent) => encodeAck(sent + 1), 'ENTANGLE_LINK_PROTOCOL'],
    ['data after a gap', () => encodeData(0, 5, [numbered(0)], [numbered(0).length], 0, 1, 1 + 1 + 1 + 1 + 1 + 4), 'ENTANGLE_LINK_PROTOCOL'],
    ['a count larger than the frame', () => Uint8Array.of(FRAME_DATA, 0, 1, 0xff, 0xff, 0x03, 0), 'ENTANGLE_LINK_PROTOCOL'],
    ['a length larger than the frame', () => Uint8Array.of(FRAME_DATA, 0, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1), 'ENTANGLE_LINK_PROTOCOL'],
    ['a varint longer than 8 bytes', () => Uint8Array.of(FRAME_ACK, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 'ENTANGLE_LINK_PROTOCOL'],
    ['a frame over maxFrameBytes', () => new Uint8Array(4097), 'ENTANGLE_LINK_FRAME_TOO_LARGE'],
  ];
  for (const [what, frame, code] of cases) {
    const clock = new ManualClock();
    const a = makeNode(clock, { limits: { maxFrameBytes: 4096 } });
    const b = makeNode(clock);
    const { tb } = await connect(clock, a, b);
    b.links.send(a.id, numbered(1));
    await settle(clock, [a, b]);
    tb.send(frame(0)); // as if b's side wrote it
    await settle(clock, [a, b]);
    assertCode(a.lost.get(b.id), code);
    assertCode(b.lost.get(a.id), code); // a said bye with the reason
    assert.equal(a.received.get(b.id)!.length, 1, what);
    await assertNoLeaks(clock, [a, b]);
  }
});

test('link hostile frames: random bytes on an established link never throw, and end in a typed loss or nothing', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 40 }), async (frame) => {
    const clock = new ManualClock();
    const a = makeNode(clock);
    const b = makeNode(clock);
    const { tb } = await connect(clock, a, b);
    tb.send(frame);
    await settle(clock, [a, b]);
    const lost = a.lost.get(b.id);
    if (lost !== undefined) assert.match(lost.code, /^ENTANGLE_LINK_/);
    else assert.deepEqual(a.links.peers(), [b.id]);
    await assertNoLeaks(clock, [a, b]);
  }), { numRuns: 300, seed: 42 });
});
