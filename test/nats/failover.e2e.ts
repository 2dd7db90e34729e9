// A NATS server failover without loss: a 3-server cluster; node P (on server 1) streams numbers
// to node Q (on server 2), which echoes each one; server 1 is SIGKILL'd mid-stream; P's client
// reconnects to another server, its links resume on new transports and resend what was lost.
// Nothing is lost, duplicated or reordered either way.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanUp, skipReason, startCluster, startNode, USER, type NatsServer, type NodeProcess } from './helpers.ts';

const skip = skipReason();

describe('entangle/nats across a 3-server cluster', { skip: skip ?? false }, () => {
  let servers: NatsServer[] = [];
  const nodes: NodeProcess[] = [];

  before(async () => {
    servers = await startCluster();
  });

  after(async () => {
    for (const n of nodes) await n.kill();
    for (const s of servers) await s.kill();
    cleanUp();
  });

  /** P on `pServers[0]` streams to Q on `qServers[0]`; `victim` is killed after the first 1,000 echoes. */
  async function streamThroughFailover(t: { diagnostic(message: string): void }, names: [string, string], pServers: NatsServer[], qServers: NatsServer[], victim: NatsServer): Promise<void> {
    // noRandomize: each starts on the first server of its list and fails over to the next.
    const q = await startNode({ join: { servers: qServers.map((s) => s.url), ...USER, name: names[1], nats: { noRandomize: true } }, role: 'echo' });
    nodes.push(q);
    const p = await startNode({ join: { servers: pServers.map((s) => s.url), ...USER, name: names[0], nats: { noRandomize: true } }, role: 'echo' });
    nodes.push(p);
    assert.ok(q.joined.id && p.joined.id, 'both joined');
    assert.equal((await p.ask({ op: 'connect', name: names[1] })).ok, true);
    const N = 6000;
    const streamed = p.ask({ op: 'stream', name: names[1], n: N, burst: 20, pauseMs: 2 }, 60_000);
    await p.next('progress');
    await p.next('progress');
    await victim.kill('SIGKILL');
    const result = await streamed;
    assert.deepEqual(result, { reply: 2, echoed: N, errors: 0 }, 'every echo came back, in order, once');
    const qStats = await q.ask({ op: 'stats' });
    assert.equal(qStats.orderErrors, 0, 'Q saw every number in order, once');
    for (const [who, stats] of [['P', await p.ask({ op: 'stats' })], ['Q', qStats]] as const) {
      const mesh = stats.stats as { reconnects: number; redials: number; gaps: number };
      const links = stats.links as { resumes: number; resentMessages: number; duplicatesDropped: number; peersLost: number };
      t.diagnostic(`${who}: ${mesh.reconnects} reconnect(s), ${mesh.redials} redial(s), ${mesh.gaps} gap(s), ${links.resumes} resume(s), ${links.resentMessages} message(s) resent, ${links.duplicatesDropped} duplicate(s) dropped`);
      assert.equal(links.peersLost, 0, `${who} lost no peer`);
    }
    const moved = (victim === pServers[0] ? await p.ask({ op: 'stats' }) : qStats).stats as { reconnects: number };
    assert.ok(moved.reconnects >= 1, 'the node on the killed server reconnected');
  }

  test('the server the sending node is connected to is killed mid-stream: nothing lost, duplicated or reordered', async (t) => {
    const [s1, s2, s3] = servers as [NatsServer, NatsServer, NatsServer];
    await streamThroughFailover(t, ['p1', 'q1'], [s1, s2, s3], [s2, s3, s1], s1);
  });

  test('the server the echoing node is connected to is killed mid-stream: nothing lost, duplicated or reordered', async (t) => {
    const [, s2, s3] = servers as [NatsServer, NatsServer, NatsServer];
    await streamThroughFailover(t, ['p2', 'q2'], [s3, s2], [s2, s3], s2);
  });
});
