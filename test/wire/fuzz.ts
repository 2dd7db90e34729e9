// Long-running wire fuzzing: `node --import tsx test/wire/fuzz.ts --seconds N` (npm run fuzz runs it
// after the clone fuzzer). Prints "N inputs tried, 0 failures"; on a failure prints the seed and
// counterexample and exits 1.

import fc from 'fast-check';
import { transferRecipeArb } from '../clone/differential-lib.ts';
import { fuzzFor, secondsArg } from '../fuzz-loop.ts';
import { checkWireTransfer, wireProperties } from './fuzz-lib.ts';

// Hostile inputs weigh most: they are where an unchecked length or a missed case hides.
fuzzFor(secondsArg(process.argv), [
  wireProperties.hostile, wireProperties.hostile, wireProperties.blobHostile, wireProperties.randomBytes, wireProperties.roundTrip,
  fc.property(transferRecipeArb, (recipe) => { checkWireTransfer(recipe); }),
]);
