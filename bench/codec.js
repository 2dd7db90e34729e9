// Codec contenders for the wire benchmarks: entangle/wire against msgpackr (structuredClone: true,
// the fastest npm codec of its kind) and v8.serialize / deserialize, all in the same process.

import v8 from 'node:v8';
import { Packr } from 'msgpackr';
import { decode, encode } from 'entangle/wire';

const packr = new Packr({ structuredClone: true });

export const codecContenders = [
  { name: 'entangle', encode, decode },
  { name: 'msgpackr', encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) },
  { name: 'v8', encode: (v) => v8.serialize(v), decode: (b) => v8.deserialize(b) },
];
