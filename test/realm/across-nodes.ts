// A preload (`node --import`) that makes every `new MessageChannel()` two ports on two different
// nodes of this process, linked by an in-memory transport: the spec's own tests, run with it,
// prove that a port whose peer is on another node behaves as a same-node one (items 1–33).
// The pairs are made ahead of time (making one takes a round trip), POOL per test file.

import { setEntangledPairFactory } from '../../src/spec/message-channel.ts';
import type { MessagePortData } from '../../src/spec/message-port-data.ts';
import { detachPort, type MessagePort } from '../../src/spec/message-port.ts';
import { linkedNodes } from './helpers.ts';

process.env['ENTANGLE_ACROSS_NODES'] = '1';

const POOL = Number(process.env.ENTANGLE_ACROSS_NODES_POOL ?? 1500);

const [a, b] = await linkedNodes(2);
const arrived: MessagePort[] = [];
b!.addEventListener('connect', (event) => arrived.push((event as MessageEvent).ports[0] as unknown as MessagePort));
const opened: MessagePort[] = [];
for (let i = 0; i < POOL; i++) opened.push(a!.openPort(b!.id));
while (arrived.length < POOL) await new Promise((resolve) => setTimeout(resolve, 1));

const pool: [MessagePortData, MessagePortData][] = opened.map((port, i) => [detachPort(port)!, detachPort(arrived[i]!)!]);
pool.reverse();

setEntangledPairFactory(() => {
  const pair = pool.pop();
  if (pair === undefined) throw new Error(`across-nodes: more than ${POOL} channels in one test file; raise ENTANGLE_ACROSS_NODES_POOL`);
  return pair;
});
