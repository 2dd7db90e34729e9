// entangle/nats across processes on one nats-server: bootstrap by name, a port moved A → B → C
// while messages flow (order kept, one hop once settled), a SIGKILL'd node (its peers get `close`,
// reported by the server), a hung node (heartbeats), wrong credentials (refused, others unaffected).
// The test's own process is node A; the others run test/nats/fixtures/node.js.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'entangle';
import { join, type Mesh } from 'entangle/nats';
import { localRealm } from '../../dist/node/realm.js';
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
});
