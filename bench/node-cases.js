// Benchmarks across Node boundaries (issue 5): entangle's Worker({type: 'thread'}) against
// node:worker_threads, Worker({type: 'process'}) against child_process.fork IPC ('json' and
// 'advanced') and a raw length-prefixed Unix socket, listen()/connect() over ws: against raw `ws`.
// Every contender's peer runs bench/fixtures-node/peer.js; the drivers are in bench/node-drivers.js,
// the contenders in bench/node-contenders.js. Each case runs in its own process (bench/run-all.js),
// starts one peer per contender, then alternates the contenders A B C … round by round.

import assert from 'node:assert/strict';
import { SHARED_64K, KIB_64, smallObject } from './fixtures.js';
import { alternate, percentile } from './harness.js';
import { builtinThread, entangleWorker, entangleWs, forkIpc, rawSocket, rawWs } from './node-contenders.js';
import { roundTrips, throughput } from './node-drivers.js';

/**
 * Warm-up per contender before the rounds, in ms (BENCH_NODE_WARMUP_MS; default 2000), and for
 * round trips at least WARM_UP_TRIPS of them. entangle's path across a boundary runs through many
 * layers that V8 optimizes only after thousands of messages: across a thread its round trip
 * settled only after ~8,000 round trips (p50 per 0.5 s: 425, 335, 273, 177, 146, then ~100 µs;
 * 361, 370, 484, 1,177, 2,690 … round trips in each), its throughput after ~1.5 s (7k, 63k, 112k …
 * msg/s per 0.5 s). The channel cases' 300 ms would have measured the JIT.
 */
const WARM_UP_MS = Number(process.env.BENCH_NODE_WARMUP_MS) || 2000;
const WARM_UP_TRIPS = 10_000;

/** Small objects: 1,000 unacknowledged at most, acknowledged every 100 (shared/perf-baselines.md's method across a boundary). */
export const SMALL = { window: 1000, ackEvery: 100 };
/** 64 KiB buffers: 100 in flight at most (6.4 MiB), acknowledged every 10. */
const LARGE = { window: 100, ackEvery: 10 };

export const checkSmall = (description) => assert.deepEqual(description, { value: smallObject(0) });
const HEAD_64K = [...new Uint8Array(SHARED_64K, 0, 8)];
const check64k = (description) => {
  assert.ok(description.bytes !== undefined, `expected bytes, got ${JSON.stringify(description).slice(0, 80)}`);
  assert.equal(description.byteLength, KIB_64);
  assert.deepEqual(description.head, HEAD_64K);
};

/**
 * One metric per rival: entangle against each other contender, with that rival's goal. With a
 * contender filtered out (--impl), one line of absolute numbers and no ratio.
 */
function versus(title, unit, results, contenders, goals = {}, lowerIsBetter = false) {
  const names = contenders.map((x) => x.name);
  if (names[0] !== 'entangle' || names.length < 2) return [{ title, unit, perContender: results, names, lowerIsBetter }];
  return contenders.slice(1).map((rival, i) => ({
    title: `${title} · vs ${rival.name}`,
    unit,
    perContender: [results[0], results[i + 1]],
    names: ['entangle', rival.name],
    goal: goals[rival.name],
    lowerIsBetter,
  }));
}

/** Starts every contender's peer, runs `body(sessions)`, and always stops the peers. */
async function withSessions(contenders, body) {
  const sessions = [];
  try {
    for (const x of contenders) sessions.push(await x.start());
    return await body(sessions);
  } finally {
    for (const session of sessions) await session.close();
  }
}

export function throughputCase({ id, title, contenders, make, transfer = false, check, flow, goals }) {
  return {
    id,
    title,
    contenders,
    async run({ contenders: selected, rounds, runMs }) {
      const results = await withSessions(selected, (sessions) => alternate(
        sessions,
        rounds,
        (s) => throughput(s, { make, transfer, check, ...flow, durationMs: runMs }),
        (s) => throughput(s, { make, transfer, check, ...flow, durationMs: WARM_UP_MS }),
      ));
      const rates = results.map((runs) => runs.map((r) => r.perSecond));
      return versus(title, 'msg/s', rates, selected, goals);
    },
  };
}

export function roundTripCase({ id, title, contenders, goals, p99Against }) {
  return {
    id,
    title,
    contenders,
    async run({ contenders: selected, rounds, runMs }) {
      const options = { make: smallObject, check: (echo, sent) => assert.deepEqual(echo, sent) };
      const results = await withSessions(selected, (sessions) => alternate(
        sessions,
        rounds,
        (s) => roundTrips(s, { ...options, durationMs: runMs / 2 }),
        (s) => roundTrips(s, { ...options, durationMs: WARM_UP_MS, minTrips: WARM_UP_TRIPS }),
      ));
      const at = (p) => results.map((runs) => runs.map((samples) => percentile(samples, p)));
      const metrics = versus(`${title} p50`, 'µs', at(0.5), selected, goals, true);
      const p99 = versus(`${title} p99`, 'µs', at(0.99), selected, {}, true);
      return [...metrics, ...p99.filter((m) => m.names.length !== 2 || m.names[1] === p99Against)];
    },
  };
}

const processRivals = () => [entangleWorker('process'), forkIpc('json'), forkIpc('advanced'), rawSocket()];

export const nodeCases = [
  throughputCase({
    id: 'node-thread-small',
    title: 'node · thread · small object one-way',
    contenders: [entangleWorker('thread'), builtinThread('worker_threads')],
    make: smallObject,
    check: checkSmall,
    flow: SMALL,
    goals: { worker_threads: { atLeast: 1.0 } },
  }),
  roundTripCase({
    id: 'node-thread-rtt',
    title: 'node · thread · round trip',
    contenders: [entangleWorker('thread'), builtinThread('worker_threads')],
    goals: { worker_threads: { atMost: 1.2 } },
    p99Against: 'worker_threads',
  }),
  throughputCase({
    id: 'node-process-small',
    title: 'node · process · small object one-way',
    contenders: processRivals(),
    make: smallObject,
    check: checkSmall,
    flow: SMALL,
    goals: { 'fork json': { atLeast: 2 }, 'raw socket': { atLeast: 0.6 } },
  }),
  throughputCase({
    id: 'node-process-64k',
    // entangle posts the one buffer without a transfer list (copied each time), as fork does.
    title: 'node · process · 64 KiB ArrayBuffer one-way (copied)',
    contenders: [entangleWorker('process'), forkIpc('advanced'), rawSocket()],
    make: () => SHARED_64K,
    check: check64k,
    flow: LARGE,
    goals: { 'fork advanced': { atLeast: 1.5 } },
  }),
  roundTripCase({
    id: 'node-process-rtt',
    title: 'node · process · round trip',
    contenders: processRivals(),
    goals: { 'raw socket': { atMost: 1.2 } },
    p99Against: 'raw socket',
  }),
  throughputCase({
    id: 'node-ws-small',
    title: 'node · WebSocket · small object one-way',
    contenders: [entangleWs(), rawWs()],
    make: smallObject,
    check: checkSmall,
    flow: SMALL,
    goals: { ws: { atLeast: 2 } },
  }),
  roundTripCase({
    id: 'node-ws-rtt',
    title: 'node · WebSocket · round trip',
    contenders: [entangleWs(), rawWs()],
    goals: { ws: { atMost: 1.2 } },
    p99Against: 'ws',
  }),
];
