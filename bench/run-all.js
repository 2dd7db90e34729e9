// `npm run bench`: entangle against Node's built-in MessageChannel and structuredClone, with the
// ratio entangle / built-in for each case and the project's goal beside it (docs/benchmarks.md).
//
//   node --expose-gc bench/run-all.js [--only=<text>] [--impl=entangle|built-in]
//
// Each case runs in a fresh process (bench/run-case.js), both contenders alternating inside it:
// the ratio is taken in one run, and no case inherits the heap and allocator state of the ones
// before it (it did: after the 64 KiB channel cases, entangle's 1 MiB clone measured 0.33× where
// a fresh process measures ~1×; docs/benchmarks.md). --only runs the cases whose id or title
// contains <text>; --impl runs one contender alone (no ratios). BENCH_ROUNDS and BENCH_MS are
// passed on to each case.

import { spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cases } from './cases.js';
import { ROWS_MARKER, summaryTable } from './report.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const match = /^--(only|impl)=(.*)$/.exec(arg);
    if (match === null) throw new Error(`unknown argument ${arg}; expected --only=<text> or --impl=entangle|built-in`);
    return [match[1], match[2]];
  }),
);
const selected = cases.filter((c) => args.only === undefined || c.id.includes(args.only) || c.title.includes(args.only));
const runCase = fileURLToPath(new URL('./run-case.js', import.meta.url));
const rounds = process.env.BENCH_ROUNDS || '5';
const runMs = process.env.BENCH_MS || '1000';

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log('entangle benchmarks: entangle vs Node’s built-ins; each case in a fresh process, contenders alternating A B A B …');
console.log(
  `node ${process.version} · ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}) · load ${load()} · ` +
    `${rounds} rounds × ${runMs} ms per contender and case`,
);

const rows = [];
let failed = 0;
for (const c of selected) {
  const result = await runChild(c.id);
  if (result.rows === null) {
    failed++;
    console.log(`\n${c.title}: FAILED (exit ${result.code})`);
    rows.push({ title: c.title, entangle: 'failed', builtin: '', ratio: '', spread: '', goal: '', verdict: '' });
  } else {
    rows.push(...result.rows);
  }
}

console.log(`\nSummary (medians of ${rounds} rounds; ratio = entangle / built-in; ratios are what count, absolute numbers move ±30 %)\n`);
console.log(summaryTable(rows));
console.log(`\nload at the end: ${load()}`);
// A failed case is a broken benchmark, not a missed goal: only that fails the process.
process.exitCode = failed === 0 ? 0 : 1;

/** Run one case in a fresh Node (with this process's flags, e.g. --expose-gc), echoing its output. */
function runChild(id) {
  return new Promise((resolve) => {
    const impl = args.impl === undefined ? [] : [`--impl=${args.impl}`];
    const child = spawn(process.execPath, [...process.execArgv, runCase, id, ...impl], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_ROUNDS: rounds, BENCH_MS: runMs },
    });
    let rows = null;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith(ROWS_MARKER)) rows = JSON.parse(line.slice(ROWS_MARKER.length));
      else console.log(line);
    });
    // Both: the exit code, and every line read.
    const exited = new Promise((done) => child.on('exit', (code, signal) => done(code ?? signal)));
    const read = new Promise((done) => lines.on('close', done));
    Promise.all([exited, read]).then(([code]) => resolve({ code, rows: code === 0 ? rows : null }));
  });
}
