// Bounded wire fuzz for `npm test` (a few seconds); test/wire/fuzz.ts runs the same properties for as long as asked.

import { test } from 'node:test';
import fc from 'fast-check';
import { transferRecipeArb } from '../clone/differential-lib.ts';
import { checkWireTransfer, wireProperties } from './fuzz-lib.ts';

test('wire: generated values decode(encode(v)) exactly as structuredClone(v)', () => {
  fc.assert(wireProperties.roundTrip, { numRuns: 300 });
});

test('wire: transferred ArrayBuffers round-trip through encodeWithTransfer / decodeWithTransfer', () => {
  fc.assert(fc.property(transferRecipeArb, (recipe) => { checkWireTransfer(recipe); }), { numRuns: 200 });
});

test('wire hostile input: mutated encodings give a value or an EntangleError with a wire code, prototypes untouched', () => {
  fc.assert(wireProperties.hostile, { numRuns: 1500 });
});

test('wire hostile input: mutated encodings of Blobs and Files', () => {
  fc.assert(wireProperties.blobHostile, { numRuns: 500 });
});

test('wire hostile input: random bytes after the version byte', () => {
  fc.assert(wireProperties.randomBytes, { numRuns: 3000 });
});
