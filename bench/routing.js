// Routing benchmarks: messages per second between two routing nodes in one process (through
// Node and the event codec, events carried by a same-process FIFO), against two ports of one
// routing node and against entangle's spec MessageChannel; and the cost of each extra proxy hop
// while a transfer is settling. Each routing setup is wrapped as a MessageChannel-shaped class so
// that bench/channel.js's `throughput` drives all of them the same way.

import assert from 'node:assert/strict';
import { MessageChannel as SpecChannel } from 'entangle';
import { encode } from 'entangle/wire';
import { decodeEvent, encodeEvent, Node } from '../dist/routing/index.js';
import { throughput } from './channel.js';
import { smallObject } from './fixtures.js';
import { alternate } from './harness.js';

/** Window of unacknowledged messages, as in bench/cases.js. */
const WINDOW = 1000;

/** The payload routing carries: the small object as the spec layer would encode it (routing never decodes it). */
const PAYLOAD = encode(smallObject(0));
const checkPayload = (data) => assert.deepEqual([...new Uint8Array(data)], [...PAYLOAD]);

/**
 * Routing nodes in one process. Events go through encodeEvent → a FIFO → decodeEvent →
 * acceptEvent, drained once per event-loop turn (as a link flushes once per turn). `hold`
 * keeps some events back (to freeze proxies in place); they are delivered by `release`.
 */
class Net {
  nodes = new Map();
  #queue = [];
  #held = [];
  #scheduled = false;

  constructor({ hold = () => false } = {}) {
    this.hold = hold;
  }

  addNode(onStatus = () => {}, onIntroduced = () => {}) {
    const net = this;
    const node = new Node({
      delegate: {
        forwardEvent(to, event) {
          if (net.hold(event)) net.#held.push([to, node.id, event]);
          else net.#push(to, node.id, encodeEvent(event));
        },
        portStatusChanged: (port) => onStatus(node, port),
        portIntroduced: (from, port) => onIntroduced(node, port),
      },
    });
    this.nodes.set(node.id, node);
    return node;
  }

  #push(to, from, bytes) {
    this.#queue.push(to, from, bytes);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Deliver everything queued, including what delivery queues. */
  drain() {
    this.#scheduled = false;
    const queue = this.#queue;
    for (let i = 0; i < queue.length; i += 3) this.nodes.get(queue[i]).acceptEvent(queue[i + 1], decodeEvent(queue[i + 2]));
    queue.length = 0;
  }

  /** Stop holding events back; deliver them and everything they cause. */
  release() {
    this.hold = () => false;
    for (const [to, from, event] of this.#held.splice(0)) this.#push(to, from, encodeEvent(event));
    this.drain();
  }
}

/** A MessageChannel-shaped face over two routing ports: postMessage(bytes) → onmessage({ data }). */
class Face {
  onmessage = null;
  constructor(node, port, close) {
    this.node = node;
    this.port = port;
    this.closeAll = close;
  }
  postMessage(data) {
    this.node.sendMessage(this.port, { payload: data, ports: [] });
  }
  close() {
    this.closeAll();
  }
  /** Called by the node's delegate: hand every available message to onmessage. */
  deliver() {
    for (let m = this.node.takeMessage(this.port); m !== undefined; m = this.node.takeMessage(this.port)) this.onmessage?.({ data: m.payload });
  }
}

/**
 * A channel whose two ends are on two routing nodes, with `hops` proxies frozen between them:
 * port2 was sent from node to node `hops` times and the proxies it left are kept from removing
 * themselves (their observeProxy is held back), so every message takes hops + 1 events.
 */
function routedChannel(hops) {
  return class RoutedChannel {
    constructor() {
      const faces = new Map();
      const onStatus = (node, port) => faces.get(port)?.deliver();
      let introduced = null;
      const net = new Net({ hold: (event) => event.type === 'observeProxy' });
      const nodes = Array.from({ length: hops + 2 }, () => net.addNode(onStatus, (_node, port) => (introduced = port)));
      const home = nodes[0];
      const [a, b] = home.createPortPair();
      // b goes to nodes[1], then on to nodes[2] … through carrier channels from the node it is on.
      home.introduce(nodes[1].id, b);
      net.drain();
      let where = nodes[1];
      let port = introduced;
      for (let i = 1; i <= hops; i++) {
        const next = nodes[i + 1];
        const [c, d] = where.createPortPair();
        where.introduce(next.id, d);
        net.drain();
        const carrier = introduced;
        where.sendMessage(c, { payload: new Uint8Array(0), ports: [port] });
        net.drain();
        port = next.takeMessage(carrier).ports[0];
        where.closePort(c);
        next.closePort(carrier);
        net.drain();
        where = next;
      }
      const close = () => {
        if (this.closed) return;
        this.closed = true;
        home.closePort(a);
        where.closePort(port);
        net.release();
        for (const node of nodes) {
          const s = node.stats();
          assert.equal(s.ports.receiving + s.ports.buffering + s.ports.proxying + s.ports.closed, 0, 'routing bench leaked a port');
        }
      };
      this.port1 = new Face(home, a, close);
      this.port2 = new Face(where, port, close);
      faces.set(a, this.port1);
      faces.set(port, this.port2);
    }
  };
}

/** Both ends on one routing node: no event, no bytes. */
class OneNodeChannel {
  constructor() {
    const faces = new Map();
    const node = new Node({
      delegate: { forwardEvent() { throw new Error('a one-node channel sent an event'); }, portStatusChanged: (port) => faces.get(port)?.deliver(), portIntroduced() {} },
    });
    const [a, b] = node.createPortPair();
    const close = () => {
      node.closePort(a);
      node.closePort(b);
    };
    // Delivery is synchronous inside postMessage; one setImmediate per burst, as the spec channel does.
    this.port1 = new Face(node, a, close);
    this.port2 = new Face(node, b, close);
    const pending = new Set();
    let scheduled = false;
    for (const face of [this.port1, this.port2]) {
      faces.set(face.port, {
        deliver: () => {
          pending.add(face);
          if (scheduled) return;
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            for (const f of pending) f.deliver();
            pending.clear();
          });
        },
      });
    }
  }
}

const TwoNodes = routedChannel(0);

function rates(results) {
  return results.map((runs) => runs.map((r) => r.perSecond));
}

const throughputCase = {
  id: 'routing',
  title: 'routing throughput · small object bytes',
  contenders: [
    { name: 'entangle', channel: TwoNodes },
    { name: 'one node', channel: OneNodeChannel },
    { name: 'spec MessageChannel', channel: SpecChannel },
  ],
  async run({ contenders, rounds, runMs, warmUpMs }) {
    const options = { make: () => PAYLOAD, check: checkPayload, window: WINDOW };
    const results = rates(await alternate(
      contenders,
      rounds,
      (x) => throughput(x.channel, { ...options, durationMs: runMs }),
      (x) => throughput(x.channel, { ...options, durationMs: warmUpMs }),
    ));
    const names = contenders.map((x) => x.name);
    if (contenders.length < 3) return [{ title: this.title, unit: 'msg/s', perContender: results, names }];
    return [
      { title: 'routing · two in-memory nodes vs two ports of one node', unit: 'msg/s', perContender: [results[0], results[1]], names: ['entangle', 'one node'] },
      { title: 'routing · two in-memory nodes vs spec MessageChannel (same thread)', unit: 'msg/s', perContender: [results[0], results[2]], names: ['entangle', 'spec channel'] },
    ];
  },
};

const HOPS = [0, 1, 2, 3];

const hopsCase = {
  id: 'routing-hops',
  title: 'routing · proxy hops while a transfer is settling',
  contenders: HOPS.map((hops) => ({ name: hops === 0 ? 'entangle' : `${hops} hops`, channel: routedChannel(hops), hops })),
  async run({ contenders, rounds, runMs, warmUpMs }) {
    const options = { make: () => PAYLOAD, check: checkPayload, window: WINDOW };
    const results = rates(await alternate(
      contenders,
      rounds,
      (x) => throughput(x.channel, { ...options, durationMs: runMs }),
      (x) => throughput(x.channel, { ...options, durationMs: warmUpMs }),
    ));
    if (contenders.length < HOPS.length) return [{ title: this.title, unit: 'msg/s', perContender: results, names: contenders.map((x) => x.name) }];
    const metrics = HOPS.slice(1).map((hops) => ({
      title: `routing · ${hops} proxy hop${hops > 1 ? 's' : ''} (settling) vs direct`,
      unit: 'msg/s',
      perContender: [results[hops], results[0]],
      names: ['entangle', 'direct'],
    }));
    // Per round: the extra time per message with three proxies, per proxy.
    const perHop = results[0].map((direct, round) => ((1 / results[3][round] - 1 / direct) / 3) * 1e6);
    metrics.push({ title: 'routing · cost of one extra proxy hop, per message', unit: 'µs', perContender: [perHop], names: ['entangle'], lowerIsBetter: true });
    return metrics;
  },
};

export const routingCases = [throughputCase, hopsCase];
