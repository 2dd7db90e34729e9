// Long-running wire fuzzing: `node --import tsx test/wire/fuzz.ts --seconds N` (npm run fuzz runs it
// after the clone fuzzer). Prints "N inputs tried, 0 failures"; on a failure prints the seed and
// counterexample and exits 1.

import fc from 'fast-check';
import { transferRecipeArb } from '../clone/differential-lib.ts';
import { checkWireTransfer, wireProperties } from './fuzz-lib.ts';

function secondsArg(argv: readonly string[]): number {
  const i = argv.indexOf('--seconds');
  const raw = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--seconds='))?.slice('--seconds='.length);
  const seconds = raw === undefined ? 10 : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be a positive number, got ${String(raw)}`);
  return seconds;
}

// Hostile inputs weigh most: they are where an unchecked length or a missed case hides.
const properties = [
  wireProperties.hostile, wireProperties.hostile, wireProperties.blobHostile, wireProperties.randomBytes, wireProperties.roundTrip,
  fc.property(transferRecipeArb, (recipe) => { checkWireTransfer(recipe); }),
];

const deadline = Date.now() + secondsArg(process.argv) * 1000;
let tried = 0;
let round = 0;
while (Date.now() < deadline) {
  const property = properties[round % properties.length] as (typeof properties)[number];
  const seed = (Date.now() ^ (round * 0x9e3779b1)) | 0;
  round++;
  const details = fc.check(property as fc.IProperty<unknown>, { numRuns: 100, seed });
  tried += details.numRuns;
  if (details.failed) {
    console.error(fc.defaultReportMessage(details));
    console.error(`Error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
    console.error(`seed ${seed} (property #${(round - 1) % properties.length}); replay with fc.assert(property, { seed: ${seed}, path: ${JSON.stringify(details.counterexamplePath)} })`);
    console.log(`${tried} inputs tried, 1 failure`);
    process.exit(1);
  }
}
console.log(`${tried} inputs tried, 0 failures`);
