// Running contenders in alternation and summarising: rounds, medians, percentiles, formatting.

/** Collect garbage between runs, so one contender's garbage is not billed to the next (`--expose-gc`). */
export const collectGarbage = typeof globalThis.gc === 'function' ? () => globalThis.gc() : () => {};

/** Let what the previous run left behind (close tasks, pending callbacks) finish before the next. */
export function settle() {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * Run `runOnce(contender)` for every contender, A B A B …, `rounds` times, after one unrecorded
 * warm-up run of each. The machine is shared and noisy: alternating spreads any slow stretch
 * over all contenders, and the caller reports medians. Returns one array of results per contender.
 */
export async function alternate(contenders, rounds, runOnce, warmUp = runOnce) {
  for (const contender of contenders) {
    collectGarbage();
    await settle();
    await warmUp(contender);
  }
  const results = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      collectGarbage();
      await settle();
      results[i].push(await runOnce(contenders[i]));
    }
  }
  return results;
}

export function median(values) {
  return percentile(values, 0.5);
}

/** Nearest-rank percentile (p in 0..1) of an unsorted array. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

/** 1234567 → "1.23M", 45678 → "45.7k". */
export function formatCount(value) {
  if (!Number.isFinite(value)) return String(value);
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 1 : 2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e5 ? 0 : 1)}k`;
  return value.toFixed(value >= 100 ? 0 : 1);
}

export function formatMicros(value) {
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} µs`;
}

export function formatRatio(value) {
  return `${value.toFixed(value >= 10 ? 1 : 2)}×`;
}

/** A plain-text table: `rows` are arrays of cells; the first column is left-aligned, the rest right. */
export function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => String(row[column] ?? '').length)));
  const line = (row) =>
    row
      .map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '─'.repeat(width)).join('  ').trimEnd(), ...rows.map(line)].join('\n');
}
