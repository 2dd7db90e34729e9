// One workload, run `n` times in this process, for bench/instructions/run.js to count the
// instructions of under Valgrind: a codec round trip (or encode, or decode) by one contender, or
// one small message sent and received through a MessageChannel in this thread (entangle's or
// Node's), or between two entangle nodes in this process.
//
//   node bench/instructions/workload.js <n> <workload> <contender> <value>
//
// The work is in a function called n times, so that the engine optimizes it as it would in use.

import { codecContenders } from '../codec.js';
import { float64MiB, graph, smallObject } from '../fixtures.js';

const [n, workload, contenderName, valueName] = [Number(process.argv[2]), ...process.argv.slice(3)];
if (!Number.isInteger(n) || n < 0) throw new Error(`expected a count, got ${process.argv[2]}`);

const values = { small: () => smallObject(1), graph: () => graph(1000), f64: float64MiB };

if (workload === 'message') {
  await messages(n);
} else if (workload === 'builtin-message') {
  await channelMessages(n, globalThis.MessageChannel);
} else if (workload === 'channel') {
  await channelMessages(n, (await import('../../dist/index.js')).MessageChannel);
} else {
  const codec = codecContenders.find((c) => c.name === contenderName);
  if (codec === undefined) throw new Error(`unknown contender ${contenderName}`);
  const make = values[valueName];
  if (make === undefined) throw new Error(`unknown value ${valueName}`);
  const value = make();
  const bytes = codec.encode(value).slice();
  const ops = {
    roundtrip: () => codec.decode(codec.encode(value)),
    encode: () => codec.encode(value),
    decode: () => codec.decode(bytes),
  };
  const op = ops[workload];
  if (op === undefined) throw new Error(`unknown workload ${workload}`);
  for (let i = 0; i < n; i++) op();
}

/** n small objects from one port to its peer on another node in this process, over the in-memory transport. */
async function messages(count) {
  const { RealmNode } = await import('../../dist/realm/realm-node.js');
  const { memoryTransportPair } = await import('../../dist/transports/memory.js');
  const a = new RealmNode();
  const b = new RealmNode();
  const [ta, tb] = memoryTransportPair();
  await Promise.all([a.attach(ta, { role: 'dial' }), b.attach(tb, { role: 'accept' })]);
  const connected = new Promise((resolve) => b.addEventListener('connect', (event) => resolve(event.ports[0]), { once: true }));
  const port = a.openPort(b.id);
  await sendAndReceive(count, port, await connected);
  a.close();
  b.close();
}

/** n small objects through a MessageChannel (entangle's or Node's built-in) within this thread. */
async function channelMessages(count, Channel) {
  const { port1, port2 } = new Channel();
  await sendAndReceive(count, port1, port2);
  port1.close();
}

/** Posts n small objects from `from`, 100 per turn, until `to` has received them all. */
async function sendAndReceive(count, from, to) {
  let received = 0;
  const done = new Promise((resolve) => {
    to.onmessage = () => {
      if (++received === count) resolve();
    };
  });
  for (let i = 0; i < count; i += 100) {
    for (let k = 0; k < 100 && i + k < count; k++) from.postMessage(smallObject(1));
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (count > 0) await done;
}

process.exit(0);
