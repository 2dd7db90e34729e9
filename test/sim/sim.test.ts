// The simulator in `npm test`: a bounded number of seeded scenarios (`npm run sim -- --seeds N`
// runs as many as you like). A failure names the seed and the command that reproduces it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runScenario, type ScenarioOptions } from './scenario.ts';

function runSeeds(seeds: number[], options: Omit<ScenarioOptions, 'seed'> = {}): void {
  const failures: string[] = [];
  for (const seed of seeds) {
    const result = runScenario({ seed, ...options });
    if (result.violations.length > 0) {
      const links = options.links === true ? ' --links' : '';
      failures.push(`seed ${seed}: ${result.violations[0]}\n  reproduce: npm run sim -- --seed ${seed} --nodes ${result.nodes} --steps ${result.steps}${links}`);
    }
  }
  assert.deepEqual(failures, [], failures.join('\n'));
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

test('sim: 300 seeded scenarios over 2–16 nodes keep order, exactly-once, close and one-hop, and leak nothing', () => {
  runSeeds(range(1, 300));
});

test('sim: two nodes (transfers to the peer\'s own node all the time)', () => {
  runSeeds(range(10_001, 40), { nodes: 2 });
});

test('sim: sixteen nodes', () => {
  runSeeds(range(20_001, 20), { nodes: 16 });
});

test('sim: through the link layer (Links over memory transports), with transports severed and redialled', () => {
  runSeeds(range(30_001, 40), { links: true });
});

test('sim: a seed replays the same scenario', () => {
  const first = runScenario({ seed: 4242 });
  const again = runScenario({ seed: 4242 });
  assert.deepEqual(again.counts, first.counts);
  assert.ok(first.counts.transfers > 0 && first.counts.events > 0 && first.counts.short > 0);
});
