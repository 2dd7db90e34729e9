// The benchmark cases: what each sends or clones, how it checks the result, and the goal for its
// ratio entangle / built-in. Each case's `run` returns one or more metrics for bench/report.js.

import assert from 'node:assert/strict';
import { roundTrips, throughput } from './channel.js';
import { clonesPerSecond } from './clone.js';
import { codecContenders } from './codec.js';
import { fresh64k, float64MiB, graph, KIB_64, SHARED_64K, smallObject, STRING_64 } from './fixtures.js';
import { alternate, percentile } from './harness.js';
import { natsCases } from './nats-cases.js';
import { nodeCases } from './node-cases.js';
import { routingCases } from './routing.js';

/** Window of unacknowledged messages in throughput runs (shared/perf-baselines.md's method). */
const WINDOW = 1000;

/** A throughput case: messages per second through a same-thread channel. */
function throughputCase({ id, title, make, transfer = false, check, goal }) {
  return {
    id,
    title: `throughput · ${title}`,
    async run({ contenders, rounds, runMs, warmUpMs }) {
      const options = { make, transfer, check, window: WINDOW };
      const results = await alternate(
        contenders,
        rounds,
        (x) => throughput(x.channel, { ...options, durationMs: runMs }),
        (x) => throughput(x.channel, { ...options, durationMs: warmUpMs }),
      );
      return [{ title: this.title, unit: 'msg/s', perContender: results.map((runs) => runs.map((r) => r.perSecond)), goal }];
    },
  };
}

/** A structuredClone case: calls per second, entangle's against the global built-in. */
function cloneCase({ id, title, value, check, goal }) {
  return {
    id,
    title: `structuredClone · ${title}`,
    async run({ contenders, rounds, runMs, warmUpMs }) {
      const input = value();
      for (const x of contenders) check(x.clone(input), input);
      const results = await alternate(
        contenders,
        rounds,
        (x) => clonesPerSecond(x.clone, input, runMs / 2),
        (x) => clonesPerSecond(x.clone, input, warmUpMs / 2),
      );
      return [{ title: this.title, unit: 'op/s', perContender: results.map((runs) => runs.map((r) => r.perSecond)), goal }];
    },
  };
}

/**
 * A codec case: encode + decode round trips per second and encoded size, entangle/wire against
 * msgpackr and v8 alternating in one process; one ratio line per rival, with the goals.
 */
function codecCase({ id, title, value, check, goals, sizeGoal }) {
  return {
    id,
    title: `codec round trip · ${title}`,
    contenders: codecContenders,
    async run({ contenders, rounds, runMs, warmUpMs }) {
      const input = value();
      for (const x of contenders) check(x.decode(x.encode(input)), input, x.name);
      const roundTrip = (x) => (v) => x.decode(x.encode(v));
      const results = await alternate(
        contenders,
        rounds,
        (x) => clonesPerSecond(roundTrip(x), input, runMs / 2),
        (x) => clonesPerSecond(roundTrip(x), input, warmUpMs / 2),
      );
      const rates = results.map((runs) => runs.map((r) => r.perSecond));
      const sizes = contenders.map((x) => [x.encode(input).length]);
      if (contenders.length === 1 || contenders[0].name !== 'entangle') {
        return [{ title: this.title, unit: 'op/s', perContender: rates, names: contenders.map((x) => x.name) }];
      }
      const metrics = [];
      contenders.slice(1).forEach((rival, i) => {
        const names = ['entangle', rival.name];
        metrics.push({ title: `${this.title} · vs ${rival.name}`, unit: 'op/s', perContender: [rates[0], rates[i + 1]], names, goal: goals[rival.name] });
        metrics.push({
          title: `encoded size · ${title} · vs ${rival.name}`, unit: 'B', perContender: [sizes[0], sizes[i + 1]], names,
          goal: rival.name === 'msgpackr' ? sizeGoal : undefined, lowerIsBetter: true,
        });
      });
      return metrics;
    },
  };
}

const roundTripCase = {
  id: 'roundtrip',
  title: 'round trip · small object',
  async run({ contenders, rounds, runMs, warmUpMs }) {
    const options = { make: smallObject, check: (data) => assert.deepEqual(data, smallObject(0)) };
    const results = await alternate(
      contenders,
      rounds,
      (x) => roundTrips(x.channel, { ...options, durationMs: runMs / 2 }),
      (x) => roundTrips(x.channel, { ...options, durationMs: warmUpMs / 2 }),
    );
    const at = (p) => results.map((runs) => runs.map((samples) => percentile(samples, p)));
    return [
      { title: 'round trip p50 · small object', unit: 'µs', perContender: at(0.5), goal: { atMost: 0.8 }, lowerIsBetter: true },
      { title: 'round trip p99 · small object', unit: 'µs', perContender: at(0.99), lowerIsBetter: true },
    ];
  },
};

export const cases = [
  throughputCase({
    id: 'small',
    title: 'small object',
    make: smallObject,
    check: (data) => assert.deepEqual(data, smallObject(0)),
    goal: { atLeast: 1.5 },
  }),
  throughputCase({
    id: 'string',
    title: '64-byte string',
    make: () => STRING_64,
    check: (data) => assert.equal(data, STRING_64),
    goal: { atLeast: 10 },
  }),
  throughputCase({
    id: 'number',
    title: 'number',
    make: (i) => i,
    check: (data) => assert.equal(data, 0),
    goal: { atLeast: 10 },
  }),
  throughputCase({
    id: 'copy64k',
    title: '64 KiB ArrayBuffer, copied',
    make: () => SHARED_64K,
    check: (data) => {
      assert.ok(data instanceof ArrayBuffer && data !== SHARED_64K);
      assert.deepEqual(new Uint8Array(data), new Uint8Array(SHARED_64K));
    },
  }),
  throughputCase({
    id: 'transfer64k',
    title: '64 KiB ArrayBuffer, transferred',
    make: fresh64k,
    transfer: true,
    check: (data) => assert.ok(data instanceof ArrayBuffer && data.byteLength === KIB_64),
  }),
  roundTripCase,
  cloneCase({
    id: 'clone-small',
    title: 'small object',
    value: () => smallObject(1),
    check: (copy, input) => assert.deepStrictEqual(copy, structuredClone(input)),
    goal: { atLeast: 1 },
  }),
  cloneCase({ id: 'clone-graph', title: '1,000-node graph, Map/Set/Date', value: () => graph(1000), check: checkGraph }),
  cloneCase({
    id: 'clone-f64',
    title: '1 MiB Float64Array',
    value: float64MiB,
    check: (copy, input) => {
      assert.ok(copy instanceof Float64Array && copy.buffer !== input.buffer);
      assert.deepStrictEqual(copy, input);
    },
  }),
  codecCase({
    id: 'codec-small',
    title: 'small object',
    value: () => smallObject(1),
    check: (copy, input) => assert.deepStrictEqual(copy, input),
    goals: { msgpackr: { atLeast: 1 }, v8: { atLeast: 3 } },
    sizeGoal: { atMost: 1.1 },
  }),
  codecCase({
    id: 'codec-graph',
    title: '1,000-node graph, Map/Set/Date',
    value: () => graph(1000),
    check: checkGraph,
    goals: { msgpackr: { atLeast: 1 } },
    sizeGoal: { atMost: 1.1 },
  }),
  codecCase({
    id: 'codec-f64',
    title: '1 MiB Float64Array',
    value: float64MiB,
    check: (copy, input) => {
      assert.ok(copy instanceof Float64Array && copy.length === input.length);
      assert.deepStrictEqual([...copy.subarray(0, 100)], [...input.subarray(0, 100)]);
      assert.equal(copy[copy.length - 1], input[input.length - 1]);
    },
    goals: { v8: { atLeast: 0.8 } },
    sizeGoal: { atMost: 1.1 },
  }),
  ...routingCases,
  ...nodeCases,
  ...natsCases,
];

/** The graph, node by node (deepStrictEqual would walk the shared links as a tree: exponential). */
function checkGraph(copy, value) {
  assert.equal(copy.nodes.length, value.nodes.length);
  assert.equal(copy.index.size, value.index.size);
  value.nodes.forEach((node, i) => {
    const twin = copy.nodes[i];
    assert.notEqual(twin, node);
    assert.equal(copy.index.get(node.id), twin, 'the Map index shares the node objects');
    assert.deepStrictEqual({ ...twin, links: null }, { ...node, links: null });
    assert.deepEqual(twin.links.map((l) => l.id), node.links.map((l) => l.id));
    twin.links.forEach((link) => assert.equal(link, copy.nodes[link.id], 'links are shared references'));
  });
}
