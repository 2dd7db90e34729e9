// RealmNodeOptions.reach: where nodes can be dialled directly (a NATS mesh), a node links to every
// node an event names before sending to it, so a moved port ends one hop from its peer and the
// nodes it passed carry nothing; a node that cannot be dialled is still reached through the relay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from '../../src/index.ts';
import { RealmNode } from '../../src/realm/realm-node.ts';
import type { MessagePort } from '../../src/spec/message-port.ts';
import type { NodeId } from '../../src/link/node-id.ts';
import { collect, link, next, remotePair, settle, unrefClock, type PortMessageEvent } from './helpers.ts';

/** Nodes that dial each other on demand over in-memory links, as a mesh does; `outside` are linked but not dialable. */
function mesh(count: number): { nodes: RealmNode[]; dials: NodeId[][]; outside: Set<NodeId> } {
  const byId = new Map<NodeId, RealmNode>();
  const pending = new Map<string, Promise<boolean>>();
  const dials: NodeId[][] = [];
  const outside = new Set<NodeId>();
  const nodes: RealmNode[] = [];
  for (let i = 0; i < count; i++) {
    const node: RealmNode = new RealmNode({
      clock: unrefClock,
      reach: (target) => {
        const other = byId.get(target);
        if (other === undefined || outside.has(target) || outside.has(node.id)) return false;
        // One link per pair, whichever side asks first (a mesh settles crossing dials the same way).
        const key = [node.id, target].sort().join();
        let linking = pending.get(key);
        if (linking === undefined) {
          dials.push([node.id, target]);
          linking = link(node, other, { graceMs: 0 }).then(() => true, () => false);
          pending.set(key, linking);
        }
        return linking;
      },
    });
    byId.set(node.id, node);
    nodes.push(node);
  }
  return { nodes, dials, outside };
}

/** Hands `port` along the nodes (each to the next over a fresh port pair); resolves with the port the last node got. */
async function passAlong(nodes: RealmNode[], port: MessagePort): Promise<MessagePort> {
  let current = port;
  for (let i = 0; i + 1 < nodes.length; i++) {
    const [out, inn] = await remotePair(nodes[i]!, nodes[i + 1]!);
    const arrived = next<PortMessageEvent>(inn);
    inn.start();
    out.postMessage('yours', [current]);
    current = (await arrived).ports[0]!;
  }
  return current;
}

test('reach: a port moved a → b → c while messages flow ends one hop from its peer; b relays nothing', async () => {
  const { nodes, dials } = mesh(3);
  const [a, b, c] = nodes as [RealmNode, RealmNode, RealmNode];
  const { port1, port2 } = new MessageChannel();
  for (let i = 0; i < 50; i++) port1.postMessage(i);
  const last = await passAlong(nodes, port2);
  const seen = collect(last, 100);
  for (let i = 50; i < 100; i++) port1.postMessage(i);
  assert.deepEqual(await seen, [...Array(100).keys()]);
  const back = collect(port1, 20);
  for (let i = 0; i < 20; i++) last.postMessage(-i);
  assert.deepEqual(await back, [...Array(20).keys()].map((i) => -i));
  await settle();
  assert.ok(a.links.has(c.id) && c.links.has(a.id), 'a and c linked directly');
  assert.ok(dials.some(([from, to]) => (from === a.id && to === c.id) || (from === c.id && to === a.id)), 'dialled on demand');
  assert.equal(b.relay.stats().relayed, 0, 'b relayed nothing');
  assert.equal(a.relay.stats().routes + c.relay.stats().routes, 0, 'no routes through others');
  const before = b.links.stats().messagesReceived;
  const more = collect(last, 100);
  for (let i = 100; i < 200; i++) port1.postMessage(i);
  assert.equal((await more).length, 100);
  assert.equal(b.links.stats().messagesReceived, before, 'once settled, b carries none of them');
  for (const node of nodes) node.close();
});

test('reach: a node that cannot be dialled (reach answers false) is reached through the relay, in order', async () => {
  const { nodes, outside } = mesh(4);
  const [a, , c, d] = nodes as [RealmNode, RealmNode, RealmNode, RealmNode];
  // d is behind c (a worker of c, say): linked to c only, not on the mesh.
  outside.add(d.id);
  await link(c, d, { graceMs: 0 });
  const { port1, port2 } = new MessageChannel();
  const last = await passAlong(nodes, port2);
  const seen = collect(last, 30);
  for (let i = 0; i < 30; i++) port1.postMessage(i);
  assert.deepEqual(await seen, [...Array(30).keys()]);
  const back = collect(port1, 30);
  for (let i = 0; i < 30; i++) last.postMessage(i);
  assert.deepEqual(await back, [...Array(30).keys()]);
  assert.equal(a.links.has(d.id), false);
  assert.equal(a.relay.isRelayed(d.id), true, 'a reaches d through c');
  assert.ok(c.relay.stats().relayed > 0);
  for (const node of nodes) node.close();
});
