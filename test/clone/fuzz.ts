// Long-running differential fuzzing against Node's structuredClone: `npm run fuzz -- --seconds N`.
// Prints "N inputs tried, 0 failures"; on a failure prints the seed and counterexample and exits 1.

import fc from 'fast-check';
import { fuzzFor, secondsArg } from '../fuzz-loop.ts';
import { checkCloneable, checkNonCloneable, checkTransfer, cloneableArb, nonCloneableArb, transferRecipeArb } from './differential-lib.ts';

fuzzFor(secondsArg(process.argv), [
  fc.property(cloneableArb, (value) => { checkCloneable(value); }),
  fc.property(nonCloneableArb, (value) => { checkNonCloneable(value); }),
  fc.property(transferRecipeArb, (recipe) => { checkTransfer(recipe); }),
]);
