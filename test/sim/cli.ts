// `npm run sim -- --seeds N [--nodes K] [--seed S] [--steps T] [--links] [--verbose]`: run N seeded scenarios (seeds
// 1 … N, or from S), or one scenario with --seed S alone. Prints "N scenarios, 0 violations" and
// exits 0, or each failing seed with a one-line reproduction command and exits 1. A failing seed
// is shrunk: the smallest step count that still fails is printed with it.

import { runScenario, type ScenarioResult } from './scenario.ts';

const args = parseArgs(process.argv.slice(2));
const single = args.seed !== undefined && args.seeds === undefined;
const first = args.seed ?? 1;
const count = single ? 1 : (args.seeds ?? 300);
const started = performance.now();
let failed = 0;
let events = 0;
const totals: Record<string, number> = {};
for (let seed = first; seed < first + count; seed++) {
  const options = {
    seed, links: args.links === 1, ...(args.nodes !== undefined && { nodes: args.nodes }), ...(args.steps !== undefined && { steps: args.steps }),
  };
  const result = runScenario(options);
  events += result.counts.events;
  for (const [k, v] of Object.entries(result.counts)) totals[k] = (totals[k] ?? 0) + v;
  if (single) console.log(`seed ${seed}: ${result.nodes} nodes, ${JSON.stringify(result.counts)}`);
  if (result.violations.length === 0) continue;
  failed++;
  report(result);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (args.verbose) console.log(`totals: ${JSON.stringify(totals)}`);
console.log(`${count} scenarios, ${failed} violations (${events} events delivered, ${seconds} s)`);
process.exitCode = failed === 0 ? 0 : 1;

function report(result: ScenarioResult): void {
  const nodes = args.nodes ?? result.nodes;
  const smallest = shrink(result);
  const steps = smallest?.steps ?? result.steps;
  console.log(`seed ${result.seed} (${nodes} nodes, ${steps} steps): ${(smallest ?? result).violations.length} violation(s)`);
  for (const v of (smallest ?? result).violations.slice(0, 5)) console.log(`  ${v.split('\n').slice(0, 6).join('\n    ')}`);
  console.log(`  reproduce: npm run sim -- --seed ${result.seed} --nodes ${nodes} --steps ${steps}${args.links === 1 ? ' --links' : ''}`);
}

/** The smallest step count (by bisection, then a linear walk down) for which the seed still fails. */
function shrink(result: ScenarioResult): ScenarioResult | undefined {
  const run = (steps: number): ScenarioResult => runScenario({ seed: result.seed, nodes: args.nodes ?? result.nodes, steps, links: args.links === 1 });
  let best: ScenarioResult | undefined;
  let low = 0;
  let high = result.steps;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const attempt = run(mid);
    if (attempt.violations.length > 0) {
      best = attempt;
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return best;
}

function parseArgs(argv: string[]): { seeds?: number; nodes?: number; seed?: number; steps?: number; verbose?: number; links?: number } {
  const out: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--verbose' || argv[i] === '--links') {
      out[argv[i]!.slice(2)] = 1;
      continue;
    }
    const match = /^--(seeds|nodes|seed|steps)(?:=(.*))?$/.exec(argv[i]!);
    if (match === null) throw new Error(`unknown argument ${argv[i]}; expected --seeds N, --nodes K, --seed S, --steps T`);
    const text = match[2] ?? argv[++i];
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${match[1]} takes a non-negative integer, got ${text}`);
    out[match[1]!] = value;
  }
  if (out.nodes !== undefined && (out.nodes < 2 || out.nodes > 16)) throw new Error('--nodes must be 2 … 16');
  return out;
}
