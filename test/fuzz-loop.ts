// The loop the fuzz scripts share: check fast-check properties in turn, with fresh seeds, until
// `--seconds N` have passed. Prints "N inputs tried, 0 failures"; on a failure prints the seed,
// the counterexample and how to replay it, and exits 1.

import fc from 'fast-check';

export function secondsArg(argv: readonly string[], fallback = 10): number {
  const i = argv.indexOf('--seconds');
  const raw = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--seconds='))?.slice('--seconds='.length);
  const seconds = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be a positive number, got ${String(raw)}`);
  return seconds;
}

/** `any`: properties over different value types, each checked on its own. */
export function fuzzFor(seconds: number, properties: readonly fc.IProperty<any>[]): void {
  const deadline = Date.now() + seconds * 1000;
  let tried = 0;
  let round = 0;
  while (Date.now() < deadline) {
    const index = round % properties.length;
    const property = properties[index] as fc.IProperty<unknown>;
    const seed = (Date.now() ^ (round * 0x9e3779b1)) | 0;
    round++;
    const details = fc.check(property, { numRuns: 100, seed });
    tried += details.numRuns;
    if (details.failed) {
      console.error(fc.defaultReportMessage(details));
      console.error(`Error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
      console.error(`seed ${seed} (property #${index}); replay with fc.assert(property, { seed: ${seed}, path: ${JSON.stringify(details.counterexamplePath)} })`);
      console.log(`${tried} inputs tried, 1 failure`);
      process.exit(1);
    }
  }
  console.log(`${tried} inputs tried, 0 failures`);
}
