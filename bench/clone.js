// structuredClone driver: calls per second of one clone function on one value.

let sink;

/**
 * Call `clone(value)` in batches for `durationMs` and return calls per second. The batch size is
 * found first (doubling until a batch takes ≥ 2 ms) so that reading the clock costs nothing
 * measurable, for a 50 ns clone as for a 200 µs one.
 */
export function clonesPerSecond(clone, value, durationMs) {
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) sink = clone(value);
    if (performance.now() - t0 >= 2 || batch >= 1 << 20) break;
    batch *= 2;
  }
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) sink = clone(value);
    calls += batch;
    elapsed = performance.now() - start;
  } while (elapsed < durationMs);
  return { calls, seconds: elapsed / 1000, perSecond: calls / (elapsed / 1000) };
}

/** Keeps the last clone reachable, so no engine can drop the work as unused. */
export function lastClone() {
  return sink;
}
