// Differential property test against Node's own structuredClone (bounded; see fuzz.ts for long
// runs). What is compared and what is excluded is described in differential-lib.ts.

import { test } from 'node:test';
import fc from 'fast-check';
import { checkCloneable, checkNonCloneable, checkTransfer, cloneableArb, nonCloneableArb, transferRecipeArb } from './differential-lib.ts';

test('spec 30, 31 (differential): generated values clone exactly as Node\'s structuredClone', () => {
  fc.assert(fc.property(cloneableArb, (value) => { checkCloneable(value); }), { numRuns: 300 });
});

test('spec 30 (differential): generated non-cloneable values throw DataCloneError like Node\'s', () => {
  fc.assert(fc.property(nonCloneableArb, (value) => { checkNonCloneable(value); }), { numRuns: 200 });
});

test('spec 29, 31 (differential): transferring ArrayBuffers matches Node\'s structuredClone', () => {
  fc.assert(fc.property(transferRecipeArb, (recipe) => { checkTransfer(recipe); }), { numRuns: 200 });
});
