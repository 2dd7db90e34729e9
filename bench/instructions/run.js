// `npm run bench:instructions`: instructions executed per operation, counted by Valgrind
// (cachegrind, no cache simulation), entangle against the same rivals as `npm run bench`.
//
//   node bench/instructions/run.js [--only=<text>]
//
// Why: the machines are shared and noisy, so that a 5 % change in speed is lost in ±30 % between
// runs; an instruction count is the same from run to run (to a few instructions per operation),
// so a change to the codec or to the path of a message can be judged before it is timed. It is
// not the speed: a cache miss costs as much as hundreds of instructions, and memory-bound work
// (copying a buffer) runs at the memory's pace. The timed benchmarks stay the claim.
//
// Each workload runs twice, n1 and n2 times, in `node --single-threaded` (the JIT compiles on the
// main thread, so when code gets optimized does not depend on timing) with fixed seeds and, where
// `setarch` exists, no address randomization; the count per operation is the difference divided
// by n2 − n1, so start-up and warm-up cancel out. Needs valgrind (Debian: apt-get install valgrind).

import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const only = process.argv.slice(2).map((arg) => /^--only=(.*)$/.exec(arg)?.[1]).find((x) => x !== undefined);
for (const arg of process.argv.slice(2)) if (!arg.startsWith('--only=')) throw new Error(`unknown argument ${arg}; expected --only=<text>`);

const workload = fileURLToPath(new URL('./workload.js', import.meta.url));
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
if (!has('valgrind')) {
  console.error('bench:instructions needs valgrind (Debian: apt-get install valgrind).');
  process.exit(1);
}
const noAslr = has('setarch') && spawnSync('setarch', ['-R', 'true']).status === 0;

/** Instructions executed by `node workload.js n ...args`. */
function instructions(n, args) {
  const command = [
    'valgrind', '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null',
    process.execPath, '--single-threaded', '--random-seed=1', '--hash-seed=1', workload, String(n), ...args,
  ];
  const [file, ...rest] = noAslr ? ['setarch', '-R', ...command] : command;
  const result = spawnSync(file, rest, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const match = /I\s+refs:\s+([\d,]+)/.exec(result.stderr);
  if (result.status !== 0 || match === null) throw new Error(`${args.join(' ')} ×${n} failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
  return Number(match[1].replaceAll(',', ''));
}

function perOp([n1, n2], args) {
  return (instructions(n2, args) - instructions(n1, args)) / (n2 - n1);
}

const codecRivals = ['msgpackr', 'v8'];
const counts = { small: [10_000, 30_000], graph: [30, 90], f64: [20, 60] };
const titles = { small: 'small object', graph: '1,000-node graph, Map/Set/Date', f64: '1 MiB Float64Array' };
const cases = [];
for (const value of ['small', 'graph', 'f64']) {
  cases.push({ title: `codec round trip · ${titles[value]}`, run: (who) => perOp(counts[value], ['roundtrip', who, value]), rivals: codecRivals });
}
for (const value of ['small', 'graph']) {
  for (const op of ['encode', 'decode']) {
    cases.push({ title: `codec ${op} · ${titles[value]}`, run: (who) => perOp(counts[value], [op, who, value]), rivals: ['msgpackr'] });
  }
}
cases.push({
  title: 'MessageChannel in one thread · small object (send + receive)',
  run: (who) => perOp([20_000, 60_000], [who === 'entangle' ? 'channel' : 'builtin-message']),
  rivals: ['built-in'],
});
cases.push({
  title: 'message between two nodes in one process · small object (send + receive)',
  run: (who) => perOp([20_000, 60_000], [who === 'entangle' ? 'message' : 'builtin-message']),
  // Node's MessageChannel carries it within one thread: no link, no routing. The ratio is what
  // crossing a node boundary costs over the built-in's same-thread path.
  rivals: ['built-in, same thread'],
});

const version = execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
console.log(`instructions per operation · node ${process.version} · ${version}${noAslr ? '' : ' · address randomization on'}`);
console.log('(lower is better; ratio = entangle / rival)\n');
const format = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));
for (const c of cases) {
  if (only !== undefined && !c.title.includes(only)) continue;
  const ours = c.run('entangle');
  const parts = [`entangle ${format(ours)}`];
  for (const rival of c.rivals) {
    const theirs = c.run(rival);
    parts.push(`${rival} ${format(theirs)} (${(ours / theirs).toFixed(2)}×)`);
  }
  console.log(`${c.title.padEnd(74)} ${parts.join('   ')}`);
}
