// entangle/nats across processes on one nats-server: bootstrap by name, a port moved A → B → C
// while messages flow (order kept, one hop once settled), a SIGKILL'd node (its peers get `close`,
// reported by the server), a hung node (heartbeats), wrong credentials (refused, others unaffected).
// The test's own process is node A; the others run test/nats/fixtures/node.js.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'entangle';
import { join, type Mesh } from 'entangle/nats';
import { localRealm } from '../../dist/node/realm.js';
import { connect as natsConnect } from '@nats-io/transport-node';
import { RealmNode } from '../../src/realm/realm-node.ts';
import { encodeEvent } from '../../src/routing/codec.ts';
import { randomId, defaultRandom, idToBytes } from '../../src/routing/ids.ts';
import { encodeHello } from '../../src/link/frames.ts';
import { NatsMux, NATS_HEADER_BYTES, NATS_FRAMING_VERSION, NatsKind } from '../../src/transports/nats.ts';
import { cleanUp, next, serverConfig, skipReason, startNode, startServer, USER, type NatsServer, type NodeProcess } from './helpers.ts';

const skip = skipReason();

describe('entangle/nats on one server', { skip: skip ?? false }, () => {
  let server: NatsServer;
  let mesh: Mesh;
  const nodes: NodeProcess[] = [];
  const base = (): Record<string, unknown> => ({ servers: server.url, ...USER });
  const node = async (name: string, role: string, extra: Record<string, unknown> = {}): Promise<NodeProcess> => {
    const started = await startNode({ join: { ...base(), name, ...extra }, role, to: extra.to });
    nodes.push(started);
    assert.ok(started.joined.id, `${name} joined: ${JSON.stringify(started.joined)}`);
    return started;
  };

  before(async () => {
    server = await startServer((port) => serverConfig({ port }));
    mesh = await join({ servers: server.url, ...USER, name: 'a' });
  });

  after(async () => {
    await mesh?.close();
    for (const n of nodes) await n.kill();
    await server?.kill();
    cleanUp();
  });

  test('connect(name): a port entangled with one the named node gets in a connect event', async () => {
    await node('echo1', 'echo');
    const port = await mesh.connect('echo1');
    port.start();
    const answer = next(port);
    port.postMessage({ hello: [1, 2, 3] });
    assert.deepEqual((await answer).data, { hello: [1, 2, 3] });
    await assert.rejects(mesh.connect('nobody-by-this-name'), { code: 'ENTANGLE_CONNECT_FAILED' });
    await assert.rejects(mesh.connect('bad name'), TypeError);
    port.close();
  });

  test('a node connecting to A by name: A fires connect with origin naming it', async () => {
    const b = await node('caller', 'echo');
    const connected = next<MessageEvent>(mesh, 'connect');
    assert.deepEqual(await b.ask({ op: 'connect', name: 'a' }), { reply: 1, ok: true });
    const event = await connected;
    assert.equal(event.origin, `entangle:${b.joined.id}`);
    const port = event.ports[0] as unknown as MessagePort;
    port.start();
    const echoed = b.ask({ op: 'roundtrip', name: 'a', data: 'ping' });
    const got = await next(port);
    assert.equal(got.data, 'ping');
    port.postMessage('pong');
    assert.deepEqual((await echoed).data, 'pong');
    port.close();
  });

  test('a port moved A → B → C while messages flow: every message in order, then one hop (B carries none of them)', async () => {
    const c = await node('c', 'sink');
    const b = await node('b', 'forward', { to: 'c' });
    const toB = await mesh.connect('b');
    const { port1, port2 } = new MessageChannel();
    port1.start();
    toB.postMessage('move', [port2]);
    // Messages flow while the port is on its way: the first ones reach it through B's proxy.
    const FIRST = 5000;
    for (let i = 0; i < FIRST; i += 250) {
      for (let j = i; j < i + 250; j++) port1.postMessage(j);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const report = async (): Promise<{ received: number; orderErrors: number }> => {
      const answer = next(port1);
      port1.postMessage({ cmd: 'report' });
      return (await answer).data as { received: number; orderErrors: number };
    };
    assert.deepEqual(await report(), { report: true, received: FIRST, orderErrors: 0 });
    // Settled: A links to C directly, and B stays out of the way.
    assert.ok(localRealm().links.has(c.joined.id!), 'A has a link to C');
    const before = (await b.ask({ op: 'stats' })).links as { messagesReceived: number };
    const MORE = 2000;
    for (let j = FIRST; j < FIRST + MORE; j++) port1.postMessage(j);
    assert.deepEqual(await report(), { report: true, received: FIRST + MORE, orderErrors: 0 });
    const afterMove = (await b.ask({ op: 'stats' })).links as { messagesReceived: number };
    const throughB = afterMove.messagesReceived - before.messagesReceived;
    assert.ok(throughB < 10, `B received ${throughB} link messages while ${MORE} went from A to C`);
    const relay = localRealm().relay.stats();
    assert.equal(relay.routes, 0, 'A reaches no node through another');
    port1.close();
    toB.close();
  });

  /** A's port to `name`, answering one round trip. */
  const roundTrip = async (port: MessagePort, data: unknown): Promise<unknown> => {
    const answer = next(port);
    port.postMessage(data);
    return (await answer).data;
  };

  test('a SIGKILL\'d node: its peers\' ports get close, from the server\'s disconnect notification', async (t) => {
    const victim = await node('victim', 'echo');
    const observer = await node('observer', 'echo');
    assert.deepEqual(await observer.ask({ op: 'connect', name: 'victim' }), { reply: 1, ok: true });
    const port = await mesh.connect('victim');
    port.start();
    assert.equal(await roundTrip(port, 1), 1);
    const reported = mesh.stats().reportedGone;
    const closed = next(port, 'close', 10_000);
    const observed = observer.next('close', 10_000);
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await closed;
    const here = Date.now() - killedAt;
    const there = (await observed).at as number - killedAt;
    t.diagnostic(`close after SIGKILL: ${here} ms here, ${there} ms in the observer process`);
    assert.equal(mesh.stats().reportedGone, reported + 1, 'the server reported it (not the heartbeat)');
    assert.equal(((await observer.ask({ op: 'stats' })).stats as { reportedGone: number }).reportedGone, 1);
  });

  test('a hung node (SIGSTOP): its peers\' ports get close within the heartbeat timeout', async (t) => {
    const hung = await node('hung', 'echo');
    const port = await mesh.connect('hung');
    port.start();
    assert.equal(await roundTrip(port, 'x'), 'x');
    const reported = mesh.stats().reportedGone;
    const closed = next(port, 'close', 10_000);
    const stoppedAt = Date.now();
    process.kill(hung.pid, 'SIGSTOP');
    try {
      await closed;
      t.diagnostic(`close after SIGSTOP: ${Date.now() - stoppedAt} ms (heartbeat timeout 3,000 ms)`);
      assert.equal(mesh.stats().reportedGone, reported, 'noticed by heartbeats');
    } finally {
      process.kill(hung.pid, 'SIGCONT');
      await hung.kill();
    }
  });

  test('wrong credentials: join() rejects with ENTANGLE_NATS_AUTH; the other nodes are unaffected', async () => {
    const good = await node('steady', 'echo');
    const port = await mesh.connect('steady');
    port.start();
    assert.equal(await roundTrip(port, 'before'), 'before');
    const bad = await startNode({ join: { servers: server.url, user: USER.user, pass: 'wrong', name: 'intruder' }, role: 'echo' });
    nodes.push(bad);
    assert.deepEqual(bad.joined, { error: 'ENTANGLE_NATS_AUTH' });
    const token = await startNode({ join: { servers: server.url, token: 'not-a-user', name: 'intruder2' }, role: 'echo' });
    nodes.push(token);
    assert.deepEqual(token.joined, { error: 'ENTANGLE_NATS_AUTH' });
    await assert.rejects(mesh.connect('intruder'), { code: 'ENTANGLE_CONNECT_FAILED' });
    // Nothing listening there: refused as unreachable, not as credentials.
    const nowhere = await startNode({ join: { servers: 'nats://127.0.0.1:1', ...USER, name: 'nowhere', timeoutMs: 2000, nats: { maxReconnectAttempts: 0 } }, role: 'echo' });
    nodes.push(nowhere);
    assert.deepEqual(nowhere.joined, { error: 'ENTANGLE_CONNECT_FAILED' });
    assert.equal(await roundTrip(port, 'after'), 'after');
    assert.deepEqual(((await good.ask({ op: 'stats' })).links as { peersLost: number }).peersLost, 0);
    port.close();
  });

  test('a hostile NATS client: garbage, spoofed senders, a forged disconnect notification and routing events for ports it does not peer with are refused; the victim\'s ports are unaffected', async () => {
    const victim = await node('target', 'echo');
    const victimId = victim.joined.id!;
    const port = await mesh.connect('target');
    port.start();
    assert.equal(await roundTrip(port, 0), 0);
    const nc = await natsConnect({ servers: server.url, ...USER });
    try {
      const inbox = `entangle.n.${victimId}`;
      const header = (sender: string, kind: number, seq: number): Uint8Array => {
        const bytes = new Uint8Array(NATS_HEADER_BYTES);
        bytes[0] = NATS_FRAMING_VERSION;
        bytes[1] = kind;
        idToBytes(sender, bytes, 2);
        defaultRandom()(bytes.subarray(2 + 16, 2 + 16 + 8));
        new DataView(bytes.buffer).setUint32(2 + 16 + 8, seq);
        return bytes;
      };
      const framed = (head: Uint8Array, frame: Uint8Array): Uint8Array => {
        const out = new Uint8Array(head.length + 4 + frame.length);
        out.set(head);
        new DataView(out.buffer).setUint32(head.length, frame.length);
        out.set(frame, head.length + 4);
        return out;
      };
      const hello = (node: string): Uint8Array => encodeHello({ flags: 0, node, nonce: new Uint8Array(32).fill(7), maxFrameBytes: 1 << 20 });
      const before = (await victim.ask({ op: 'stats' })).stats as { dropped: number; accepted: number };
      // (i) garbage, (ii) a connection's later message out of nowhere, (iii) A's id in the header and another node's hello.
      nc.publish(inbox, new Uint8Array([1, 2, 3]));
      nc.publish(inbox, framed(header(mesh.id, NatsKind.frames, 5), hello(mesh.id)));
      nc.publish(inbox, framed(header(mesh.id, NatsKind.frames, 0), hello(randomId(defaultRandom()))));
      await nc.flush();
      // The victim's stdin and its NATS socket race: ask until the three messages were read.
      let afterSpoof = before;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && afterSpoof.dropped + afterSpoof.accepted < before.dropped + before.accepted + 3;) {
        afterSpoof = (await victim.ask({ op: 'stats' })).stats as { dropped: number; accepted: number };
      }
      assert.equal(afterSpoof.dropped, before.dropped + 2, 'garbage and the stray message dropped');
      assert.equal(afterSpoof.accepted, before.accepted + 1, 'the spoofed hello opened a connection…');
      assert.equal(await roundTrip(port, 1), 1, '…which was refused without touching A\'s link');

      // (iv) A forged disconnect notification for the victim: its inbox still answers, so A keeps it.
      const gone = mesh.stats().reportedGone;
      nc.publish('$SYS.ACCOUNT.APP.DISCONNECT', new TextEncoder().encode(JSON.stringify({ client: { name: victimId }, reason: 'Client Closed' })));
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(localRealm().links.has(victimId), 'A is still linked to the victim');
      assert.equal(mesh.stats().reportedGone, gone);
      assert.equal(await roundTrip(port, 'still linked'), 'still linked');

      // (v) A node of its own that links honestly, then sends routing events for ports it does not peer with.
      const lost: string[] = [];
      const hostile = new RealmNode({ peerLost: (_peer, error) => lost.push(error.code) });
      const sub = nc.subscribe(`entangle.n.${hostile.id}`, { callback: (_e, msg) => mux.receive(msg.data) });
      const mux = new NatsMux({
        localNode: hostile.id, publish: (subject, payload) => nc.publish(subject, payload), inbox: (n) => `entangle.n.${n}`,
        maxPayload: nc.info!.max_payload, maxFrameBytes: 1 << 20, maxPendingAccepts: 4, accept: (t) => t.close(),
      });
      await nc.flush();
      assert.equal(await hostile.attach(mux.dial(victimId), { role: 'dial' }), victimId);
      hostile.links.send(victimId, encodeEvent({ type: 'userMessage', to: randomId(defaultRandom()), from: randomId(defaultRandom()), seq: 0, hops: 0, payload: new Uint8Array(8), ports: [] }));
      const deadline = Date.now() + 10_000;
      while (lost.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(lost, ['ENTANGLE_ROUTING_FORBIDDEN']);
      sub.unsubscribe();
      hostile.close();
    } finally {
      await nc.close();
    }
    assert.equal(await roundTrip(port, 2), 2);
    assert.equal(((await victim.ask({ op: 'stats' })).orderErrors), 0);
    port.close();
  });

  test('mesh.close() says bye: the peers\' ports get close at once; a mesh with another subject prefix is not reachable by name', async () => {
    const leaver = await node('leaver', 'echo');
    const port = await mesh.connect('leaver');
    port.start();
    assert.equal(await roundTrip(port, 'hi'), 'hi');
    const reported = mesh.stats().reportedGone;
    const closed = next(port, 'close', 10_000);
    assert.deepEqual(await leaver.ask({ op: 'close' }), { reply: 1, closed: true });
    await closed;
    assert.equal(mesh.stats().reportedGone, reported, 'the bye, not the server\'s notification');
    const other = await node('isolated', 'echo', { subjectPrefix: 'elsewhere' });
    assert.ok(other.joined.id);
    await assert.rejects(mesh.connect('isolated'), { code: 'ENTANGLE_CONNECT_FAILED' });
  });

  test('two nodes connecting to each other at the same moment: one link, both ports work, nobody lost', async () => {
    const x = await node('cross-x', 'echo');
    const y = await node('cross-y', 'echo');
    const [fromX, fromY] = await Promise.all([x.ask({ op: 'connect', name: 'cross-y' }), y.ask({ op: 'connect', name: 'cross-x' })]);
    assert.equal(fromX.ok, true, JSON.stringify(fromX));
    assert.equal(fromY.ok, true, JSON.stringify(fromY));
    assert.deepEqual((await x.ask({ op: 'roundtrip', name: 'cross-y', data: 'x→y' })).data, 'x→y');
    assert.deepEqual((await y.ask({ op: 'roundtrip', name: 'cross-x', data: 'y→x' })).data, 'y→x');
    for (const n of [x, y]) {
      const links = (await n.ask({ op: 'stats' })).links as { links: number; peersLost: number };
      assert.equal(links.peersLost, 0);
      assert.equal(links.links, 1, 'one link between them');
    }
  });
});
