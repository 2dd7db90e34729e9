// NatsMux and NatsTransport on a real nats-server (max_payload 4 KiB, so that fragments are
// exercised): demultiplexing by sender and connection, batching a turn's frames into one NATS
// message, frames larger than max_payload, a gap (a lost NATS message) breaking the transport so
// the link resumes and resends, and the hostile cases: a hello that names another node than the
// header, garbage, a flood of new connections, an oversize frame.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { EntangleError } from '../../src/errors.ts';
import { encodeHello } from '../../src/link/frames.ts';
import { Links } from '../../src/link/links.ts';
import { randomNodeId, type NodeId } from '../../src/link/node-id.ts';
import { NatsMux, type NatsTransport } from '../../src/transports/nats.ts';
import { assertFrame, frameOf, waitFor } from '../transports/helpers.ts';
import { cleanUp, serverConfig, skipReason, startServer, USER, type NatsServer } from './helpers.ts';

const skip = skipReason();
const MAX_PAYLOAD = 4096;

interface Side {
  readonly id: NodeId;
  readonly nc: NatsConnection;
  readonly mux: NatsMux;
  readonly accepted: NatsTransport[];
  /** Drops the NATS message with this index (0-based, counted from now) instead of publishing it. */
  dropAt: number | null;
}

describe('NatsMux / NatsTransport over nats-server', { skip: skip ?? false }, () => {
  let server: NatsServer;
  const sides: Side[] = [];

  before(async () => {
    server = await startServer((port) => serverConfig({ port, maxPayload: MAX_PAYLOAD }));
  });

  after(async () => {
    for (const side of sides) await side.nc.close();
    await server?.kill();
    cleanUp();
  });

  async function side(options: { maxPendingAccepts?: number; maxFrameBytes?: number; accept?: (transport: NatsTransport) => void } = {}): Promise<Side> {
    const nc = await natsConnect({ servers: server.url, ...USER });
    const id = randomNodeId();
    let published = 0;
    const self: Side = {
      id,
      nc,
      accepted: [],
      dropAt: null,
      mux: new NatsMux({
        localNode: id,
        publish: (subject, payload) => {
          if (self.dropAt !== null && published++ === self.dropAt) return;
          nc.publish(subject, payload);
        },
        inbox: (node) => `test.n.${node}`,
        maxPayload: nc.info!.max_payload,
        maxFrameBytes: options.maxFrameBytes ?? 1 << 20,
        maxPendingAccepts: options.maxPendingAccepts ?? 16,
        accept: options.accept ?? ((transport) => self.accepted.push(transport)),
      }),
    };
    nc.subscribe(`test.n.${id}`, { callback: (_error, msg) => self.mux.receive(msg.data) });
    await nc.flush();
    sides.push(self);
    return self;
  }

  /** Publishes raw bytes to `to`'s inbox. */
  const raw = (from: Side, to: Side, bytes: Uint8Array): void => from.nc.publish(`test.n.${to.id}`, bytes);

  test('frames reach the right transport whole and in order both ways; a turn\'s frames leave in one NATS message', async () => {
    const a = await side();
    const b = await side();
    assert.equal(a.mux.maxPayload, MAX_PAYLOAD, 'max_payload read from the server');
    const ta = a.mux.dial(b.id);
    const got: Uint8Array[] = [];
    const hello = encodeHello({ flags: 0, node: a.id, nonce: new Uint8Array(32).fill(1), maxFrameBytes: 1 << 20 });
    ta.send(hello);
    for (let i = 0; i < 50; i++) ta.send(frameOf(i, 40));
    const sentBefore = a.mux.stats().messagesSent;
    await waitFor(() => b.accepted.length === 1, 'B accepts the connection');
    const tb = b.accepted[0]!;
    assert.equal(tb.peer, a.id);
    assert.equal(tb.conn, ta.conn);
    tb.onframe = (frame) => got.push(frame);
    await waitFor(() => got.length === 51, 'B gets 51 frames');
    assert.equal(sentBefore, 0, 'nothing published before the end of the turn');
    assert.equal(a.mux.stats().messagesSent, 1, 'one NATS message for the turn');
    assert.deepEqual(got[0], hello);
    for (let i = 0; i < 50; i++) assertFrame(got[i + 1], i, 40);
    const back: Uint8Array[] = [];
    ta.onframe = (frame) => back.push(frame);
    // The first frame each way is the sender's hello (the transport checks it names the header's sender).
    tb.send(encodeHello({ flags: 0, node: b.id, nonce: new Uint8Array(32).fill(5), maxFrameBytes: 1 << 20 }));
    tb.send(frameOf(7, 3000));
    tb.send(frameOf(8, 3000));
    await waitFor(() => back.length === 3, 'A gets 3 frames back');
    assertFrame(back[1], 7, 3000);
    assertFrame(back[2], 8, 3000);
    const closes: unknown[] = [];
    tb.onclose = (error) => closes.push(error);
    ta.close();
    await waitFor(() => closes.length === 1, 'B\'s transport closes after A\'s close');
    assert.equal(b.mux.stats().connections, 0);
  });

  test('a frame larger than max_payload arrives whole (in fragments); one over maxFrameBytes fails typed', async () => {
    const a = await side();
    const b = await side({ maxFrameBytes: 64 * 1024 });
    const ta = a.mux.dial(b.id);
    ta.send(encodeHello({ flags: 0, node: a.id, nonce: new Uint8Array(32).fill(2), maxFrameBytes: 1 << 20 }));
    ta.send(frameOf(1, 50_000));
    await waitFor(() => b.accepted.length === 1, 'B accepts');
    const tb = b.accepted[0]!;
    const got: Uint8Array[] = [];
    const closes: unknown[] = [];
    tb.onframe = (frame) => got.push(frame);
    tb.onclose = (error) => closes.push(error);
    await waitFor(() => got.length === 2, 'B gets the hello and the 50 kB frame');
    assertFrame(got[1], 1, 50_000);
    assert.ok(a.mux.stats().messagesSent >= Math.ceil(50_000 / MAX_PAYLOAD), 'sent in pieces');
    ta.send(frameOf(2, 70_000));
    await waitFor(() => closes.length === 1, 'B\'s transport breaks');
    assert.ok(closes[0] instanceof EntangleError && closes[0].code === 'ENTANGLE_LINK_FRAME_TOO_LARGE', String(closes[0]));
  });

  test('a lost NATS message breaks the transport (a gap); the link resumes on a new one and nothing is lost or repeated', async () => {
    const a = await side();
    const b = await side({ accept: (transport) => void linksB.attach(transport, { role: 'accept' }).catch(() => {}).finally(() => b.mux.established(transport)) });
    const received: number[] = [];
    let done = false;
    const linksA = new Links({
      localNode: a.id,
      delegate: {
        peerUp: () => {}, message: () => {}, acked: () => {}, peerLost: () => assert.ok(done, 'A lost B'),
        // A dials again when its transport breaks, as the mesh does.
        detached: (peer) => void linksA.attach(a.mux.dial(peer), { role: 'dial', expectedPeer: peer }).catch(() => {}),
      },
    });
    const linksB = new Links({
      localNode: b.id,
      delegate: {
        peerUp: () => {}, acked: () => {}, peerLost: () => assert.ok(done, 'B lost A'),
        message: (_peer, bytes) => received.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)),
      },
    });
    assert.equal(await linksA.attach(a.mux.dial(b.id), { role: 'dial' }), b.id);
    const N = 3000;
    a.dropAt = 5;
    for (let i = 0; i < N; i++) {
      const message = new Uint8Array(4);
      new DataView(message.buffer).setUint32(0, i);
      linksA.send(b.id, message);
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => received.length >= N, `B receives ${N} messages`);
    assert.deepEqual(received, Array.from({ length: N }, (_, i) => i));
    assert.equal(b.mux.stats().gaps, 1, 'B saw the gap');
    assert.ok(linksA.stats().resumes >= 1 && linksB.stats().resumes >= 1, 'the link resumed');
    done = true;
    linksA.close();
    linksB.close();
  });

  test('hostile bytes: a hello naming another node than the header, garbage, a connection\'s later message, a flood of connections', async () => {
    const a = await side();
    const b = await side({ maxPendingAccepts: 3 });
    const ta = a.mux.dial(b.id);
    ta.send(encodeHello({ flags: 0, node: randomNodeId(), nonce: new Uint8Array(32).fill(3), maxFrameBytes: 1 << 20 }));
    await waitFor(() => b.accepted.length === 1, 'B accepts');
    // Refused as it arrives (in the mesh, the link's handshake is attached by then and fails ENTANGLE_LINK_PROTOCOL).
    assert.equal(b.accepted[0]!.closed, true, 'the spoofed connection is refused');
    assert.equal(b.accepted[0]!.stats.framesReceived, 0, 'no frame came through');
    const dropped = b.mux.stats().dropped;
    raw(a, b, new Uint8Array(0));
    raw(a, b, new Uint8Array(100).fill(0xff));
    raw(a, b, Uint8Array.of(1, 1, 2, 3));
    await a.nc.flush();
    await waitFor(() => b.mux.stats().dropped === dropped + 3, 'garbage dropped');
    // Past maxPendingAccepts (3, one already settled), new connections are dropped.
    for (let i = 0; i < 5; i++) a.mux.dial(b.id).send(encodeHello({ flags: 0, node: a.id, nonce: new Uint8Array(32).fill(4), maxFrameBytes: 1 << 20 }));
    await waitFor(() => b.mux.stats().dropped === dropped + 5, 'the flood past the limit dropped');
    assert.equal(b.accepted.length, 4);
  });
});
