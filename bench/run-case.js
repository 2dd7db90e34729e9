// One benchmark case in this process: entangle and Node's built-in alternating, A B A B …
// bench/run-all.js runs each case through this file in a fresh process; run it alone to profile:
//
//   node --expose-gc --cpu-prof bench/run-case.js small --impl=entangle
//
// Case ids are in bench/cases.js. BENCH_ROUNDS (default 5) and BENCH_MS (default 1000) set the
// rounds per contender and the length of each run.

import assert from 'node:assert/strict';
import { MessageChannel as EntangleChannel, structuredClone as entangleClone } from 'entangle';
import { cases } from './cases.js';
import { reportMetric, ROWS_MARKER } from './report.js';

// Captured before anything could polyfill them (nothing here imports entangle/polyfill).
const BuiltinChannel = globalThis.MessageChannel;
const builtinClone = globalThis.structuredClone;
assert.notEqual(BuiltinChannel, EntangleChannel, 'the built-in MessageChannel must be Node’s own');
assert.notEqual(builtinClone, entangleClone, 'the built-in structuredClone must be Node’s own');

const [id, ...flags] = process.argv.slice(2);
const impl = flags.find((flag) => flag.startsWith('--impl='))?.slice('--impl='.length);
const benchCase = cases.find((c) => c.id === id);
if (benchCase === undefined) throw new Error(`unknown case ${id}; one of: ${cases.map((c) => c.id).join(', ')}`);

// A case may bring its own contenders (the codec cases: entangle, msgpackr, v8).
const contenders = (benchCase.contenders ?? [
  { name: 'entangle', channel: EntangleChannel, clone: entangleClone },
  { name: 'built-in', channel: BuiltinChannel, clone: builtinClone },
]).filter((c) => impl === undefined || c.name === impl);
if (contenders.length === 0) throw new Error('--impl must name one of the case\'s contenders (entangle, built-in, msgpackr, v8)');

const rounds = positiveInteger(process.env.BENCH_ROUNDS, 5);
const runMs = positiveInteger(process.env.BENCH_MS, 1000);
const metrics = await benchCase.run({ contenders, rounds, runMs, warmUpMs: Math.min(300, runMs) });
const rows = metrics.map((metric) => reportMetric(metric, metric.names ?? contenders.map((c) => c.name)));
console.log(ROWS_MARKER + JSON.stringify(rows));

function positiveInteger(text, fallback) {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`expected a positive integer, got ${text}`);
  return value;
}
