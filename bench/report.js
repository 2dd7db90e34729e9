// Turning measured rounds into lines: each case's details, its ratio and goal, and the summary table.

import { formatCount, formatMicros, formatRatio, median, table } from './harness.js';

/** bench/run-case.js prints its summary rows as JSON on a line starting with this; run-all.js collects them. */
export const ROWS_MARKER = '@@rows ';

/**
 * Print one metric's rounds and medians and, with both contenders, the ratio entangle / built-in
 * (ratio of the medians; the range of each round's own ratio shows how far noise moved it) and
 * the goal's PASS / MISS. Returns the summary row.
 */
export function reportMetric({ title, unit, perContender, goal, lowerIsBetter = false }, names) {
  const format = unit === 'µs' ? formatMicros : (v) => `${formatCount(v)} ${unit}`;
  const medians = perContender.map((runs) => median(runs));
  const lines = [`\n${title}`];
  names.forEach((name, i) => {
    const rounds = perContender[i].map((v) => (unit === 'µs' ? v.toFixed(2) : formatCount(v))).join('  ');
    lines.push(`  ${name.padEnd(9)} median ${format(medians[i]).padStart(13)}   rounds: ${rounds}`);
  });
  const row = { title, entangle: '', builtin: '', ratio: '', spread: '', goal: '', verdict: '' };
  names.forEach((name, i) => (row[name === 'entangle' ? 'entangle' : 'builtin'] = format(medians[i])));
  if (names.length === 2) {
    const ratio = medians[0] / medians[1];
    const paired = perContender[0].map((v, r) => v / perContender[1][r]);
    row.ratio = formatRatio(ratio);
    row.spread = `${formatRatio(Math.min(...paired))}–${formatRatio(Math.max(...paired))}`;
    if (goal !== undefined) {
      const pass = goal.atLeast !== undefined ? ratio >= goal.atLeast : ratio <= goal.atMost;
      row.goal = goal.atLeast !== undefined ? `≥${formatRatio(goal.atLeast)}` : `≤${formatRatio(goal.atMost)}`;
      row.verdict = pass ? 'PASS' : 'MISS';
    }
    const better = lowerIsBetter ? 'lower is better' : 'higher is better';
    const goalText = goal === undefined ? '' : `   goal ${row.goal} ${row.verdict}`;
    lines.push(`  ratio entangle/${names[1]} ${row.ratio} (${better}; per round ${row.spread})${goalText}`);
  }
  console.log(lines.join('\n'));
  return row;
}

export function summaryTable(rows) {
  return table(
    ['case', 'entangle', 'built-in', 'ratio', 'per round', 'goal', ''],
    rows.map((r) => [r.title, r.entangle, r.builtin, r.ratio, r.spread, r.goal, r.verdict]),
  );
}
