// The benchmark cases: what each sends or clones, how it checks the result, and the goal for its
// ratio entangle / built-in. Each case's `run` returns one or more metrics for bench/report.js.

import assert from 'node:assert/strict';
import { roundTrips, throughput } from './channel.js';
import { clonesPerSecond } from './clone.js';
import { fresh64k, float64MiB, graph, KIB_64, SHARED_64K, smallObject, STRING_64 } from './fixtures.js';
import { alternate, percentile } from './harness.js';

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
