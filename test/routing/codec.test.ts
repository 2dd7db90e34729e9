// The routing codec: every event round-trips; hostile bytes give an EntangleError with a stable
// code (ENTANGLE_ROUTING_MALFORMED, or ENTANGLE_WIRE_LIMIT past a limit), never an engine error
// and never an allocation from an unchecked length.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EntangleError } from '../../src/errors.ts';
import { decodeEvent, encodeEvent, EventTag, type PortDescriptor, type RoutingEvent } from '../../src/routing/index.ts';
import { decodeHandleRecord, encodeHandleBind, encodeHandleMessage, HandleTag, MAX_HANDLES } from '../../src/routing/codec.ts';
import { idFromBytes } from '../../src/routing/ids.ts';

const id = (c: string): string => c.repeat(32);
const descriptor: PortDescriptor = {
  port: id('1'), referrer: id('2'), channel: id('3'), peerNode: id('4'), peerPort: id('5'), nextSend: 300, nextReceive: 2 ** 40,
  outboundClosed: true, inboundClosed: false,
};
const samples: RoutingEvent[] = [
  { type: 'userMessage', to: id('a'), from: id('b'), seq: 0, hops: 0, payload: new Uint8Array(0), ports: [] },
  { type: 'userMessage', to: id('a'), from: id('b'), seq: 2 ** 53 - 1, hops: 3, payload: Uint8Array.of(1, 2, 255), ports: [descriptor, { ...descriptor, port: id('6'), inboundClosed: true }] },
  { type: 'accepted', to: id('a'), from: id('b') },
  { type: 'rejected', to: id('a'), from: id('b') },
  { type: 'requestAccept', to: id('a'), from: id('b') },
  { type: 'updatePrev', to: id('a'), from: id('b'), prevNode: id('c'), prevPort: id('d') },
  { type: 'observeProxy', to: id('a'), from: id('b'), targetNode: id('c'), targetPort: id('d') },
  { type: 'observeProxyAck', to: id('a'), from: id('b'), lastSeq: -1 },
  { type: 'observeProxyAck', to: id('a'), from: id('b'), lastSeq: 127 },
  { type: 'observeClosure', to: id('a'), from: id('b'), lastSeq: 2 ** 53 - 2 },
  { type: 'introduce', port: descriptor },
];

function assertCode(bytes: Uint8Array, code: string, limits?: Parameters<typeof decodeEvent>[1]): void {
  assert.throws(() => decodeEvent(bytes, limits), (error: unknown) => {
    assert.ok(error instanceof EntangleError, `expected an EntangleError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('routing codec: every event type round-trips', () => {
  for (const event of samples) {
    const bytes = encodeEvent(event);
    assert.equal(bytes[0], EventTag[event.type]);
    assert.deepEqual(decodeEvent(bytes), event);
  }
});

test('routing codec: encoded events are never written again (small ones share chunks, large ones own their bytes)', () => {
  // A link keeps every event until its peer acknowledges it: later encodes must not touch it.
  const kept: [RoutingEvent, Uint8Array, number[]][] = [];
  for (let i = 0; i < 3000; i++) {
    const payload = new Uint8Array(i % 7 === 0 ? 3000 : i % 50).fill(i & 0xff);
    const event: RoutingEvent = { type: 'userMessage', to: id('a'), from: id('b'), seq: i, hops: 0, payload, ports: [] };
    const bytes = encodeEvent(event);
    kept.push([event, bytes, [...bytes]]);
  }
  for (const [event, bytes, copy] of kept) {
    assert.deepEqual([...bytes], copy);
    assert.deepEqual(decodeEvent(bytes), event);
  }
  const large = kept[7]![1];
  assert.equal(large.byteOffset, 0);
  assert.equal(large.buffer.byteLength, large.length);
});

test('routing codec: ids read back exactly through the id cache, including ids that share a cache slot', () => {
  const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  const ids: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    ids.push(bytes);
    // A near twin: one bit apart in two words, which leaves their XOR (the slot) unchanged.
    const twin = bytes.slice();
    twin[0]! ^= 1;
    twin[4]! ^= 1;
    ids.push(twin);
  }
  for (let round = 0; round < 2; round++) {
    for (const bytes of ids) assert.equal(idFromBytes(bytes, 0), hex(bytes));
  }
  const framed = new Uint8Array(20);
  framed.set(ids[0]!, 3);
  assert.equal(idFromBytes(framed, 3), hex(ids[0]!));
});

test('routing codec: the payload is copied out of the input bytes', () => {
  const bytes = encodeEvent(samples[1]!);
  const event = decodeEvent(bytes) as Extract<RoutingEvent, { type: 'userMessage' }>;
  bytes.fill(0);
  assert.deepEqual([...event.payload], [1, 2, 255]);
});

test('routing codec: a payload of at least 1/16 of its buffer is a view of it; a smaller one is copied (a queued message holds at most 16 times its size)', () => {
  const large = encodeEvent({ type: 'userMessage', to: id('a'), from: id('b'), seq: 1, hops: 0, payload: new Uint8Array(4096).fill(7), ports: [] });
  const frame = large.slice(); // a frame of its own, as a link hands it over
  const event = decodeEvent(frame) as Extract<RoutingEvent, { type: 'userMessage' }>;
  assert.equal(event.payload.buffer, frame.buffer, 'not copied');
  // One of 15 such messages (each a little over 4 KiB) batched in a frame: still a view; one of 17: copied.
  for (const [count, kept] of [[15, true], [17, false]] as const) {
    const batched = new Uint8Array(large.length * count);
    batched.set(large);
    const one = decodeEvent(batched.subarray(0, large.length)) as Extract<RoutingEvent, { type: 'userMessage' }>;
    assert.equal(one.payload.buffer === batched.buffer, kept, `1 of ${count}`);
  }
  const small = encodeEvent(samples[1]!);
  const batch = new Uint8Array(small.length + 8192);
  batch.set(small);
  const inBatch = decodeEvent(batch.subarray(0, small.length)) as Extract<RoutingEvent, { type: 'userMessage' }>;
  assert.notEqual(inBatch.payload.buffer, batch.buffer, 'copied out of a much larger frame');
  assert.deepEqual([...inBatch.payload], [1, 2, 255]);
});

test('routing codec: every truncation of a valid event is ENTANGLE_ROUTING_MALFORMED', () => {
  for (const event of samples) {
    const bytes = encodeEvent(event);
    for (let n = 0; n < bytes.length; n++) assertCode(bytes.subarray(0, n), 'ENTANGLE_ROUTING_MALFORMED');
  }
});

test('routing codec: unknown tags, unknown flags, trailing bytes and bad varints are malformed', () => {
  assertCode(Uint8Array.of(0), 'ENTANGLE_ROUTING_MALFORMED');
  assertCode(Uint8Array.of(10, ...new Uint8Array(32)), 'ENTANGLE_ROUTING_MALFORMED');
  const intro = encodeEvent({ type: 'introduce', port: descriptor });
  const flags = intro.slice();
  flags[flags.length - 1] = 4;
  assertCode(flags, 'ENTANGLE_ROUTING_MALFORMED');
  assertCode(Uint8Array.of(...encodeEvent(samples[2]!), 0), 'ENTANGLE_ROUTING_MALFORMED');
  const ack = (...varint: number[]): Uint8Array => Uint8Array.of(EventTag.observeProxyAck, ...new Uint8Array(32), ...varint);
  assertCode(ack(0x80, 0x00), 'ENTANGLE_ROUTING_MALFORMED'); // overlong
  assertCode(ack(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 'ENTANGLE_ROUTING_MALFORMED'); // nine bytes
  assertCode(ack(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 'ENTANGLE_ROUTING_MALFORMED'); // above 2^53 − 1
  assert.equal((decodeEvent(ack(0)) as { lastSeq: number }).lastSeq, -1);
});

test('routing codec: a length that claims more than the bytes left fails before allocating', () => {
  const head = [EventTag.userMessage, ...new Uint8Array(32), 0, 0];
  const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]; // ~2^46
  assertCode(Uint8Array.of(...head, 0, ...huge), 'ENTANGLE_WIRE_LIMIT'); // payload over maxPayloadBytes
  assertCode(Uint8Array.of(...head, 0, ...huge), 'ENTANGLE_ROUTING_MALFORMED', { maxPayloadBytes: 2 ** 50 });
  assertCode(Uint8Array.of(...head, ...huge), 'ENTANGLE_WIRE_LIMIT'); // ports over maxPortsPerMessage
  assertCode(Uint8Array.of(...head, 100), 'ENTANGLE_ROUTING_MALFORMED'); // 100 ports in 0 bytes
});

test('routing codec: limits are options', () => {
  const bytes = encodeEvent(samples[1]!);
  assertCode(bytes, 'ENTANGLE_WIRE_LIMIT', { maxPortsPerMessage: 1 });
  assertCode(bytes, 'ENTANGLE_WIRE_LIMIT', { maxPayloadBytes: 2 });
  assert.deepEqual(decodeEvent(bytes, { maxPortsPerMessage: 2, maxPayloadBytes: 3 }), samples[1]);
  assert.throws(() => decodeEvent(bytes, { maxPayloadBytes: -1 }), TypeError);
  assert.throws(() => decodeEvent('bytes' as unknown as Uint8Array), TypeError);
});

test('routing codec: encodeEvent refuses what is not an event', () => {
  assert.throws(() => encodeEvent({ type: 'accepted', to: 'A'.repeat(32), from: id('b') }), TypeError);
  assert.throws(() => encodeEvent({ ...samples[0]!, seq: -1 } as RoutingEvent), TypeError);
  assert.throws(() => encodeEvent({ type: 'nope' } as unknown as RoutingEvent), TypeError);
});

/** Decoding is total: a valid event that re-encodes to the same bytes, or an EntangleError with a routing or limit code. */
function decodesOrFailsCleanly(bytes: Uint8Array): void {
  let event: RoutingEvent;
  try {
    event = decodeEvent(bytes);
  } catch (error) {
    assert.ok(error instanceof EntangleError, `not an EntangleError: ${String(error)}`);
    assert.ok(error.code === 'ENTANGLE_ROUTING_MALFORMED' || error.code === 'ENTANGLE_WIRE_LIMIT', error.code);
    return;
  }
  assert.deepEqual([...encodeEvent(event)], [...bytes], 'a decoded event encodes back to its bytes');
}

test('routing codec hostile input: random bytes', () => {
  const tags = fc.integer({ min: 0, max: 11 });
  fc.assert(fc.property(tags, fc.uint8Array({ maxLength: 200 }), (tag, rest) => decodesOrFailsCleanly(Uint8Array.of(tag, ...rest))), { numRuns: 3000 });
});

test('routing codec hostile input: mutations of valid events', () => {
  const mutation = fc.record({
    sample: fc.integer({ min: 0, max: samples.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    cut: fc.nat(),
  });
  fc.assert(fc.property(mutation, ({ sample, edits, cut }) => {
    const bytes = encodeEvent(samples[sample]!).slice();
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    decodesOrFailsCleanly(bytes);
    decodesOrFailsCleanly(bytes.subarray(0, cut % (bytes.length + 1)));
  }), { numRuns: 3000 });
});

// The short form (src/realm/handles.ts keeps the tables; docs/protocol.md, "Handles").

function assertShortCode(bytes: Uint8Array, code: string, limits?: Parameters<typeof decodeHandleRecord>[1]): void {
  assert.throws(() => decodeHandleRecord(bytes, limits), (error: unknown) => {
    assert.ok(error instanceof EntangleError, `expected an EntangleError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('routing codec: the short form round-trips: a bind names two ports, a message carries seq, hops and the payload to its end', () => {
  const bind = decodeHandleRecord(encodeHandleBind(MAX_HANDLES - 1, id('a'), id('b')));
  assert.deepEqual([bind.tag, bind.handle, bind.to, bind.from], [HandleTag.bind, MAX_HANDLES - 1, id('a'), id('b')]);
  for (const [seq, hops, payload] of [[0, 0, new Uint8Array(0)], [2 ** 53 - 1, 9, Uint8Array.of(1, 2, 255)], [300, 0, new Uint8Array(70_000).fill(7)]] as const) {
    const bytes = encodeHandleMessage(5, seq, hops, payload);
    // tag, handle (one byte), seq as LEB128 (7 bits a byte), hops (one byte), then the payload.
    assert.equal(bytes.length, 1 + 1 + Math.max(1, Math.ceil(Math.log2(seq + 1) / 7)) + 1 + payload.length);
    const message = decodeHandleRecord(bytes);
    assert.deepEqual([message.tag, message.handle, message.seq, message.hops, [...message.payload]], [HandleTag.message, 5, seq, hops, [...payload]]);
  }
});

test('routing codec: short-form bytes no honest node sends are ENTANGLE_ROUTING_MALFORMED (or ENTANGLE_WIRE_LIMIT)', () => {
  const bind = encodeHandleBind(3, id('a'), id('b'));
  const message = encodeHandleMessage(3, 7, 0, Uint8Array.of(1, 2, 3));
  for (let n = 0; n < bind.length; n++) assertShortCode(bind.subarray(0, n), 'ENTANGLE_ROUTING_MALFORMED');
  // A message's payload runs to its end: every cut before the payload is malformed.
  for (let n = 0; n < 4; n++) assertShortCode(message.subarray(0, n), 'ENTANGLE_ROUTING_MALFORMED');
  assertShortCode(Uint8Array.of(...bind, 0), 'ENTANGLE_ROUTING_MALFORMED'); // trailing bytes
  assertShortCode(encodeHandleBind(MAX_HANDLES, id('a'), id('b')), 'ENTANGLE_ROUTING_MALFORMED'); // past the last handle
  assertShortCode(Uint8Array.of(HandleTag.message, 0x80, 0x00, 0, 0), 'ENTANGLE_ROUTING_MALFORMED'); // overlong varint
  assertShortCode(Uint8Array.of(0x52, 0), 'ENTANGLE_ROUTING_MALFORMED'); // not a short-form tag
  assertShortCode(message, 'ENTANGLE_WIRE_LIMIT', { maxPayloadBytes: 2 });
  // Bytes in the short form are not events, and events are not the short form.
  assertCode(bind, 'ENTANGLE_ROUTING_MALFORMED');
  assertShortCode(encodeEvent(samples[0]!), 'ENTANGLE_ROUTING_MALFORMED');
});

/** Short-form decoding is total: a record that re-encodes to the same bytes, or an EntangleError with a routing or limit code. */
function shortDecodesOrFailsCleanly(bytes: Uint8Array): void {
  let record: ReturnType<typeof decodeHandleRecord>;
  try {
    record = decodeHandleRecord(bytes);
  } catch (error) {
    assert.ok(error instanceof EntangleError, `not an EntangleError: ${String(error)}`);
    assert.ok(error.code === 'ENTANGLE_ROUTING_MALFORMED' || error.code === 'ENTANGLE_WIRE_LIMIT', error.code);
    return;
  }
  const again = record.tag === HandleTag.bind
    ? encodeHandleBind(record.handle, record.to, record.from)
    : encodeHandleMessage(record.handle, record.seq, record.hops, record.payload);
  assert.deepEqual([...again], [...bytes], 'a decoded record encodes back to its bytes');
}

test('routing codec hostile input: random and mutated short-form bytes', () => {
  const tag = fc.constantFrom(HandleTag.bind, HandleTag.message);
  fc.assert(fc.property(tag, fc.uint8Array({ maxLength: 60 }), (t, rest) => shortDecodesOrFailsCleanly(Uint8Array.of(t, ...rest))), { numRuns: 3000 });
  const valid = [encodeHandleBind(7, id('a'), id('b')), encodeHandleMessage(300, 2 ** 40, 2, Uint8Array.of(1, 2, 3)), encodeHandleMessage(0, 0, 0, new Uint8Array(0))];
  const mutation = fc.record({
    sample: fc.integer({ min: 0, max: valid.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    cut: fc.nat(),
  });
  fc.assert(fc.property(mutation, ({ sample, edits, cut }) => {
    const bytes = valid[sample]!.slice();
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    shortDecodesOrFailsCleanly(bytes);
    shortDecodesOrFailsCleanly(bytes.subarray(0, cut % (bytes.length + 1)));
  }), { numRuns: 3000 });
});
