// Run by portable.test.ts in a child process: hides Node's util.types (as in a browser) before the
// clone modules load, then reports how values classify and clone on the portable path.

delete (process as { getBuiltinModule?: unknown }).getBuiltinModule;

const vm = await import('node:vm');
const { classifyPortable, classify, Kind } = await import('../../src/clone/classify.ts');
const { nodeUtilTypes } = await import('../../src/clone/intrinsics.ts');
const { clone, isDataCloneError, FakePort } = await import('./helpers.ts');
const fc = (await import('fast-check')).default;
const lib = await import('./differential-lib.ts');

const kindName = (k: number): string => Object.keys(Kind).find((name) => Kind[name as keyof typeof Kind] === k) ?? String(k);

const samples: Record<string, unknown> = {
  boolean: Object(true), number: Object(1), string: Object('s'), bigint: Object(1n), symbol: Object(Symbol('s')),
  date: new Date(1), regexp: /a/g, map: new Map(), set: new Set(), arrayBuffer: new ArrayBuffer(1),
  sharedArrayBuffer: new SharedArrayBuffer(1), u8: new Uint8Array(1), dataView: new DataView(new ArrayBuffer(1)),
  error: new TypeError('t'), promise: Promise.resolve(), weakMap: new WeakMap(), weakSet: new WeakSet(),
  weakRef: new WeakRef({}), generator: (function* () {})(), arrayIterator: [][Symbol.iterator](),
  mapIterator: new Map().keys(), arguments: (function () { return arguments; })(), blob: new Blob([]),
  file: new File([], 'f'), domException: new DOMException('m'), eventTarget: new EventTarget(), url: new URL('http://x/'),
  collator: new Intl.Collator(), plain: { a: 1 }, classInstance: new (class A {})(), nullProto: Object.create(null),
  fakeMap: Object.create(Map.prototype), taggedDate: { [Symbol.toStringTag]: 'Date' }, port: new FakePort(),
  foreignMap: vm.runInNewContext('new Map()'), foreignDate: vm.runInNewContext('new Date(0)'),
  foreignError: vm.runInNewContext('new RangeError("x")'),
  spoofedNumber: Object.setPrototypeOf(Object(2), Date.prototype),
};

const kinds: Record<string, string> = {};
for (const [name, value] of Object.entries(samples)) kinds[name] = kindName(classifyPortable(value as object));

const rab = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(8, { maxByteLength: 16 });
const roundTrip = clone({
  d: new Date(5), m: new Map([[1, { x: [1, , 3] }]]), s: new Set(['a']), e: new RangeError('r', { cause: 'c' }),
  r: /x/gi, n: Object(2), t: new Uint16Array(rab, 2), big: 10n, neg: -0,
});
const rt = roundTrip as Record<string, unknown>;

const throws: Record<string, boolean> = {};
for (const [name, value] of Object.entries({
  fn: () => 1, sym: Symbol('s'), weakMap: new WeakMap(), promise: Promise.resolve(), eventTarget: new EventTarget(),
  generator: (function* () {})(), port: new FakePort(), global: globalThis,
})) {
  try {
    clone({ value });
    throws[name] = false;
  } catch (error) {
    throws[name] = isDataCloneError(error);
  }
}

let proxy: string;
try {
  proxy = JSON.stringify(clone(new Proxy({ a: 1 }, {})));
} catch (error) {
  proxy = `threw ${(error as Error).name}`;
}

function run<T>(arb: import('fast-check').Arbitrary<T>, check: (value: T) => void, numRuns: number): string {
  const details = fc.check(fc.property(arb, (value) => { check(value); }), { numRuns });
  return details.failed ? String(fc.defaultReportMessage(details)) : 'ok';
}
const differential = [
  run(lib.cloneableArb, lib.checkCloneable, 200),
  run(lib.nonCloneableArbitrary(false), lib.checkNonCloneable, 100),
  run(lib.transferRecipeArb, lib.checkTransfer, 100),
];

console.log(JSON.stringify({
  differential,
  usesPortable: nodeUtilTypes === undefined && classify === classifyPortable,
  kinds,
  roundTrip: {
    date: (rt['d'] as Date).getTime(), mapX: JSON.stringify(((rt['m'] as Map<number, { x: unknown[] }>).get(1)?.x)),
    hole: !(1 in ((rt['m'] as Map<number, { x: unknown[] }>).get(1)?.x ?? [])), set: [...(rt['s'] as Set<string>)],
    errorProto: Object.getPrototypeOf(rt['e']) === RangeError.prototype, cause: (rt['e'] as Error).cause,
    regexp: String(rt['r']), number: rt['n'] instanceof Number, tracking: (rt['t'] as Uint16Array).length,
    big: String(rt['big']), negZero: Object.is(rt['neg'], -0),
  },
  throws,
  proxy,
}));
