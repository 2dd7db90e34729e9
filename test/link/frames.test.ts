// Link frames: every encoder round-trips through the decoder; hostile bytes give a frame or an
// EntangleError with a link code, never an engine error and never an allocation from a lie.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EntangleError } from '../../src/errors.ts';
import {
  byeCode, byeReason, DATA_OVERHEAD, dataFrameSize, decodeFrame, encodeAck, encodeBye, encodeData, encodeDataPieces, encodeHello, encodePing,
  encodeProof, encodeProofBody, FRAME_ACK, FRAME_BYE, FRAME_DATA, FRAME_HELLO, FRAME_PING, FRAME_PROOF, HELLO_BYTES,
  HELLO_FLAG_TOKEN, LINK_VERSION, NO_SESSION, PROOF_BODY_BYTES, varintLength,
} from '../../src/link/frames.ts';

function assertLinkError(bytes: Uint8Array, code: string): void {
  assert.throws(() => decodeFrame(bytes), (e: unknown) => e instanceof EntangleError && e.code === code);
}

test('link frames: hello round-trips; magic and version are checked before the length', () => {
  const node = '0123456789abcdef'.repeat(2);
  const nonce = Uint8Array.from({ length: 32 }, (_, i) => i);
  const bytes = encodeHello({ flags: HELLO_FLAG_TOKEN, node, nonce, maxFrameBytes: 0xfffffffe });
  assert.equal(bytes.length, HELLO_BYTES);
  assert.deepEqual(decodeFrame(bytes), { type: FRAME_HELLO, flags: 1, node, nonce, maxFrameBytes: 0xfffffffe });
  const v2 = Uint8Array.of(FRAME_HELLO, 0x45, 0x4e, 0x54, 0x4c, LINK_VERSION + 1, 1, 2, 3); // a later version may be longer or shorter
  assertLinkError(v2, 'ENTANGLE_LINK_VERSION');
  const noMagic = bytes.slice();
  noMagic[1] = 0x46;
  assertLinkError(noMagic, 'ENTANGLE_LINK_PROTOCOL');
  const flags = bytes.slice();
  flags[6] = 0x02;
  assertLinkError(flags, 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(bytes.subarray(0, HELLO_BYTES - 1), 'ENTANGLE_LINK_PROTOCOL');
});

test('link frames: proof round-trips with and without a MAC, lastReceived up to 2^53 - 1', () => {
  const session = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
  for (const lastReceived of [0, 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    const body = encodeProofBody(session, lastReceived, 7);
    assert.equal(body.length, PROOF_BODY_BYTES);
    for (const mac of [new Uint8Array(0), new Uint8Array(32).fill(3)]) {
      const frame = decodeFrame(encodeProof(body, mac));
      assert.deepEqual(frame, { type: FRAME_PROOF, session: Buffer.from(session).toString('hex'), lastReceived, dial: 7, mac });
    }
  }
  const none = decodeFrame(encodeProof(encodeProofBody(new Uint8Array(16), 0, 0), new Uint8Array(0)));
  assert.equal(none.type === FRAME_PROOF && none.session, NO_SESSION);
  const tooBig = encodeProofBody(session, 0, 0);
  tooBig[17] = 0x00;
  tooBig[18] = 0x20; // 2^53
  assertLinkError(tooBig, 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(encodeProof(encodeProofBody(session, 0, 0), new Uint8Array(31)), 'ENTANGLE_LINK_PROTOCOL');
});

test('link frames: data, ack, ping and bye round-trip; data messages are views, not copies', () => {
  const messages = [Uint8Array.of(1, 2, 3), new Uint8Array(0), new Uint8Array(200).fill(9)];
  const payload = messages.reduce((n, m) => n + varintLength(m.length) + m.length, 0);
  const size = dataFrameSize(300, 2 ** 40, 3, payload);
  const bytes = encodeData(300, 2 ** 40, messages, messages.map((m) => m.length), 0, 3, size);
  assert.equal(bytes.length, size);
  // A message of pieces is written as the bytes of its pieces, one after the other.
  const pieces = [[Uint8Array.of(1), Uint8Array.of(2, 3)], new Uint8Array(0), [new Uint8Array(100).fill(9), new Uint8Array(0), new Uint8Array(100).fill(9)]];
  assert.deepEqual(encodeData(300, 2 ** 40, pieces, [3, 0, 200], 0, 3, size), bytes);
  // The frame is allocated without zeroing where the host allows: a size that is not the size written is refused.
  assert.throws(() => encodeData(300, 2 ** 40, messages, messages.map((m) => m.length), 0, 3, size + 1), RangeError);
  const frame = decodeFrame(bytes);
  assert.ok(frame.type === FRAME_DATA);
  assert.equal(frame.ack, 300);
  assert.equal(frame.firstSeq, 2 ** 40);
  assert.deepEqual(frame.messages, messages);
  assert.equal(frame.messages[0]!.buffer, bytes.buffer);
  assert.equal(dataFrameSize(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1, 8), DATA_OVERHEAD, "the worst header plus an 8-byte length");
  assert.deepEqual(decodeFrame(encodeAck(Number.MAX_SAFE_INTEGER)), { type: FRAME_ACK, ack: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(decodeFrame(encodePing()), { type: FRAME_PING });
  assert.deepEqual(decodeFrame(encodeBye('ENTANGLE_LINK_AUTH')), { type: FRAME_BYE, reason: byeReason('ENTANGLE_LINK_AUTH') });
});

test('link frames: a DATA frame as pieces is the same bytes; pieces of gatherFrom bytes or more are passed as they are, the rest copied', () => {
  const big = new Uint8Array(5000).fill(7);
  const bigAlone = new Uint8Array(6000).fill(8);
  const messages = [[Uint8Array.of(1, 2), big, new Uint8Array(0), Uint8Array.of(3)], Uint8Array.of(4), bigAlone, [big], new Uint8Array(0), [Uint8Array.of(5), new Uint8Array(4999).fill(6)]];
  const lengths = [5003, 1, 6000, 5000, 0, 5000];
  const payload = lengths.reduce((n, length) => n + varintLength(length) + length, 0);
  // From the second message on: `from` is honoured.
  const size = dataFrameSize(9, 70, 5, payload - varintLength(5003) - 5003);
  const whole = encodeData(9, 70, messages, lengths, 1, 5, size);
  const pieces = encodeDataPieces(9, 70, messages, lengths, 1, 5, size, 5000);
  assert.deepEqual(Buffer.concat(pieces), Buffer.from(whole));
  assert.equal(pieces.filter((piece) => piece === big || piece === bigAlone).length, 2, 'both large pieces as they are');
  assert.equal(pieces.length, 5, 'header+4 | bigAlone | 5000 varint | big | the rest, with the 4999-byte piece copied');
  const first = encodeDataPieces(9, 70, messages, lengths, 0, 1, dataFrameSize(9, 70, 1, varintLength(5003) + 5003), 5000);
  assert.deepEqual(first.map((piece) => piece.length), [1 + 1 + 1 + 1 + 2 + 2, 5000, 1]);
  assert.throws(() => encodeDataPieces(9, 70, messages, lengths, 1, 5, size + 1, 5000), RangeError);
  assert.throws(() => encodeDataPieces(9, 70, messages, lengths, 1, 5, size - 1, 5000), RangeError);
});

test('link frames: bye reasons map to codes and back; unknown reasons read as a plain close', () => {
  for (const code of ['ENTANGLE_LINK_CLOSED', 'ENTANGLE_LINK_PROTOCOL', 'ENTANGLE_LINK_AUTH', 'ENTANGLE_LINK_VERSION', 'ENTANGLE_LINK_FRAME_TOO_LARGE',
    'ENTANGLE_LINK_HANDSHAKE_TIMEOUT', 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT', 'ENTANGLE_LINK_RESEND_OVERFLOW', 'ENTANGLE_LINK_PEER_RESTARTED'] as const) {
    assert.equal(byeCode(byeReason(code)), code);
  }
  assert.equal(byeCode(200), 'ENTANGLE_LINK_CLOSED');
});

test('link frames: lies about counts and lengths fail before anything is allocated', () => {
  // count 2^50 in a 12-byte frame
  assertLinkError(Uint8Array.of(FRAME_DATA, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0), 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(Uint8Array.of(FRAME_DATA, 0, 1, 1, 0xff, 0xff, 0xff, 0x7f), 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(Uint8Array.of(FRAME_DATA, 0, 0, 1, 0), 'ENTANGLE_LINK_PROTOCOL'); // firstSeq 0
  assertLinkError(Uint8Array.of(FRAME_DATA, 0, 1, 0), 'ENTANGLE_LINK_PROTOCOL'); // no messages
  assertLinkError(Uint8Array.of(FRAME_DATA, 0, 1, 1, 0, 0), 'ENTANGLE_LINK_PROTOCOL'); // trailing byte
  assertLinkError(Uint8Array.of(FRAME_ACK, 0x80), 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(Uint8Array.of(FRAME_ACK, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 'ENTANGLE_LINK_PROTOCOL'); // 2^56 - 1
  assertLinkError(Uint8Array.of(FRAME_PING, 0), 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(Uint8Array.of(FRAME_BYE), 'ENTANGLE_LINK_PROTOCOL');
  assertLinkError(new Uint8Array(0), 'ENTANGLE_LINK_PROTOCOL');
});

const validFrame = fc.oneof(
  fc.constant(encodePing()),
  fc.nat().map((n) => encodeAck(n)),
  fc.integer({ min: 0, max: 255 }).map((r) => Uint8Array.of(FRAME_BYE, r)),
  fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: 1, maxLength: 5 }).map((messages) => {
    const payload = messages.reduce((n, m) => n + varintLength(m.length) + m.length, 0);
    return encodeData(3, 1, messages, messages.map((m) => m.length), 0, messages.length, dataFrameSize(3, 1, messages.length, payload));
  }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((nonce) => encodeHello({ flags: 0, node: 'ab'.repeat(16), nonce, maxFrameBytes: 4096 })),
  fc.constant(encodeProof(encodeProofBody(new Uint8Array(16), 0, 0), new Uint8Array(32))),
);

test('link frames hostile: random and mutated bytes give a frame or a link EntangleError', () => {
  const check = (bytes: Uint8Array): void => {
    try {
      decodeFrame(bytes);
    } catch (error) {
      assert.ok(error instanceof EntangleError, `not an EntangleError: ${String(error)}`);
      assert.ok(error.code === 'ENTANGLE_LINK_PROTOCOL' || error.code === 'ENTANGLE_LINK_VERSION', error.code);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), check), { numRuns: 3000, seed: 1 });
  fc.assert(fc.property(validFrame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (frame, flips, cut) => {
    const bytes = frame.slice(0, frame.length - (cut % 3 === 0 ? cut % frame.length : 0));
    for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
    check(bytes);
  }), { numRuns: 3000, seed: 2 });
});
