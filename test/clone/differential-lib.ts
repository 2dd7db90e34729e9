// The differential property shared by differential.test.ts (bounded) and fuzz.ts (long-running):
// generated values cloned through entangle's records must equal what Node's own structuredClone
// gives, and values Node refuses with DataCloneError must be refused the same way.
//
// Excluded, where Node's builtin is not conformant or not comparable: Error `stack` (impl-defined;
// V8 also reads it through accessors), getter-defined Error messages (V8 reads them), detached
// views (Node: TypeError), non-ArrayBuffer transferables, File/DOMException/platform objects
// (Node: Blob / {}), and growable SharedArrayBuffers (heuristic, documented deviation).

import fc from 'fast-check';
import { structuredDeserializeWithTransfer, structuredSerializeWithTransfer } from '../../src/clone/index.ts';

export function ours(value: unknown, transfer: readonly object[] = []): unknown {
  return structuredDeserializeWithTransfer(structuredSerializeWithTransfer(value, transfer)).deserialized;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const keyArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'length', 'hasOwnProperty', '0', '1', '4294967295', '-0', '01') },
);

/** Strings with lone surrogates. */
const utf16Arb = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }).map((units) => String.fromCharCode(...units));

const dateArb = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((t) => new Date(t)),
  fc.constantFrom(new Date(NaN), new Date(8.64e15), new Date(-8.64e15), new Date(-0)),
);

const regExpArb = fc.tuple(
  fc.constantFrom('a', 'a+b*', '(?<n>x)|y', '[\\u0041-\\u005A]', '\\/', '^$', '.', '\\d{2,3}'),
  fc.subarray(['d', 'g', 'i', 'm', 's', 'u', 'y']),
  fc.nat({ max: 5 }),
).map(([source, flags, lastIndex]) => {
  const r = new RegExp(source, flags.join(''));
  r.lastIndex = lastIndex;
  return r;
});

const boxedArb = fc.oneof(
  fc.boolean().map((b) => Object(b) as object),
  fc.double().map((n) => Object(n) as object),
  fc.bigInt().map((n) => Object(n) as object),
  utf16Arb.map((s) => Object(s) as object),
);

const primitiveArb = fc.oneof(
  fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, undefined, null, true, false, '', 2n ** 100n, -(2n ** 64n)),
  fc.double(), fc.bigInt(), utf16Arb, fc.string(),
);

const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array,
  Float64Array, BigInt64Array, BigUint64Array, DataView,
] as const;

type ResizableBuffer = ArrayBuffer & { resize(n: number): void; readonly resizable: boolean; readonly maxByteLength: number };

/** An ArrayBuffer (maybe resizable) with several views over it, some length-tracking. */
const buffersAndViewsArb = fc.record({
  size: fc.nat({ max: 48 }),
  resizable: fc.boolean(),
  extra: fc.nat({ max: 16 }),
  bytes: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  views: fc.array(fc.record({ ctor: fc.nat({ max: TYPED_ARRAYS.length - 1 }), offset: fc.nat({ max: 48 }), length: fc.option(fc.nat({ max: 12 })) }), { maxLength: 4 }),
}).map(({ size, resizable, extra, bytes, views }) => {
  const buffer = resizable
    ? new (ArrayBuffer as unknown as new (n: number, o: object) => ResizableBuffer)(size, { maxByteLength: size + extra })
    : new ArrayBuffer(size);
  new Uint8Array(buffer).set(bytes.subarray(0, size));
  const made: unknown[] = [buffer];
  for (const { ctor, offset, length } of views) {
    const Ctor = TYPED_ARRAYS[ctor] as (typeof TYPED_ARRAYS)[number];
    const element = Ctor === DataView ? 1 : (Ctor as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const byteOffset = offset - (offset % element);
    if (byteOffset > size) continue;
    const room = Math.floor((size - byteOffset) / element);
    try {
      if (length === null) {
        // A length-tracking view (V8 before 11.5 wants the remaining length to be a multiple of the element).
        if (!resizable && (size - byteOffset) % element !== 0) continue;
        made.push(new (Ctor as new (b: ArrayBuffer, o: number) => unknown)(buffer, byteOffset));
      } else {
        made.push(new (Ctor as new (b: ArrayBuffer, o: number, l: number) => unknown)(buffer, byteOffset, Math.min(length, room)));
      }
    } catch {
      // an impossible combination for this engine: skip it
    }
  }
  return made;
});

const ERROR_CTORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError] as const;

/** Errors: any standard type, a name that may or may not be standard, a message, maybe a cause. */
function errorArb(inner: fc.Arbitrary<unknown>): fc.Arbitrary<Error> {
  return fc.record({
    ctor: fc.nat({ max: ERROR_CTORS.length - 1 }),
    message: fc.option(fc.oneof(fc.string(), fc.integer())),
    name: fc.option(fc.constantFrom('TypeError', 'RangeError', 'Nope', 'EvalError', '')),
    cause: fc.option(inner, { nil: undefined, freq: 2 }),
    hasCause: fc.boolean(),
    extra: fc.boolean(),
  }).map(({ ctor, message, name, cause, hasCause, extra }) => {
    const Ctor = ERROR_CTORS[ctor] as (typeof ERROR_CTORS)[number];
    const error: Error = Ctor === AggregateError ? new AggregateError([], 'agg') : new (Ctor as ErrorConstructor)();
    if (message !== null) error.message = message as string;
    if (name !== null) error.name = name;
    if (hasCause) error.cause = cause;
    if (extra) (error as Error & { extra?: number }).extra = 1;
    return error;
  });
}

/** fc.anything plus the kinds it does not make, nested. */
const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.anything({
    maxDepth: 2, maxKeys: 4, key: keyArb, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true,
    withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, values: [primitiveArb],
  }) },
  { weight: 1, arbitrary: dateArb },
  { weight: 1, arbitrary: regExpArb },
  { weight: 1, arbitrary: boxedArb },
  { weight: 1, arbitrary: buffersAndViewsArb },
  { weight: 1, arbitrary: errorArb(primitiveArb) },
);

/** Containers over a pool of values, referenced several times, with cycles added afterwards. */
export const cloneableArb: fc.Arbitrary<unknown> = fc.record({
  pool: fc.array(fc.oneof(leafArb, errorArb(leafArb)), { minLength: 1, maxLength: 5 }),
  picks: fc.array(fc.nat(), { maxLength: 8 }),
  shape: fc.constantFrom('array', 'object', 'map', 'set', 'sparse'),
  cycle: fc.constantFrom('none', 'self', 'pool-back', 'error-cause'),
}).map(({ pool, picks, shape, cycle }) => {
  const at = (i: number): unknown => pool[i % pool.length];
  let container: unknown;
  switch (shape) {
    case 'array': container = picks.map(at); break;
    case 'sparse': {
      const a: unknown[] = new Array(picks.length * 2 + 1);
      picks.forEach((p, i) => { a[i * 2] = at(p); });
      (a as unknown[] & { tag?: unknown }).tag = at(0);
      container = a;
      break;
    }
    case 'object': {
      const o: Record<string, unknown> = {};
      picks.forEach((p, i) => { o[`k${i}`] = at(p); });
      container = o;
      break;
    }
    case 'map': container = new Map(picks.map((p, i) => [i % 2 === 0 ? at(p) : `key${i}`, at(p + 1)])); break;
    default: container = new Set(picks.map(at));
  }
  if (cycle === 'self') {
    if (container instanceof Map) container.set(container, container);
    else if (container instanceof Set) container.add(container);
    else (container as Record<string, unknown>)['self'] = container;
  } else if (cycle === 'pool-back') {
    const target = pool.find((v) => typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && Object.isExtensible(v));
    if (target !== undefined) {
      if (target instanceof Map) target.set('back', container);
      else if (target instanceof Set) target.add(container);
      else (target as Record<string, unknown>)['back'] = container;
    }
  } else if (cycle === 'error-cause') {
    const error = new Error('cyclic');
    error.cause = container;
    (container as Record<string, unknown>)['error'] = error;
  }
  return { container, pool };
});

const NON_CLONEABLE: ReadonlyArray<() => unknown> = [
  () => () => 1, () => function named() {}, () => class {}, () => Symbol('s'), () => Symbol.iterator,
  () => new WeakMap(), () => new WeakSet(), () => Promise.resolve(1), () => new WeakRef({}),
  () => (function* () {})(), () => Object(Symbol('w')), () => [][Symbol.iterator](), () => new Map().entries(),
  () => new Intl.Collator(), () => (function () { return arguments; })(),
];
const PROXIES: ReadonlyArray<() => unknown> = [() => new Proxy({}, {}), () => new Proxy([], {})];

/** A value Node refuses with DataCloneError, somewhere inside a cloneable one. */
export const nonCloneableArb: fc.Arbitrary<unknown> = nonCloneableArbitrary(true);

/** Without Proxies for the portable path, where they cannot be detected (documented deviation). */
export function nonCloneableArbitrary(withProxies: boolean): fc.Arbitrary<unknown> {
  return fc.tuple(
    fc.constantFrom<() => unknown>(...NON_CLONEABLE, ...(withProxies ? PROXIES : [])),
    fc.anything({ maxDepth: 2, maxKeys: 3, withMap: true, withSet: true, withDate: true }),
    fc.constantFrom('top', 'object', 'array', 'map-key', 'map-value', 'set', 'error-cause', 'deep'),
  ).map(([make, around, where]) => {
    const bad = make();
    switch (where) {
      case 'top': return bad;
      case 'object': return { around, bad };
      case 'array': return [around, bad];
      case 'map-key': return new Map([[around, 1], [bad, 2]]);
      case 'map-value': return new Map([['k', bad]]);
      case 'set': return new Set([around, bad]);
      case 'error-cause': return new Error('e', { cause: bad });
      default: return { a: [{ b: new Map([['c', [bad]]]) }] };
    }
  });
}

/** A value and the indexes of its ArrayBuffers to transfer; built twice (transfer detaches). */
export const transferRecipeArb = fc.record({
  sizes: fc.array(fc.nat({ max: 32 }), { minLength: 1, maxLength: 4 }),
  resizable: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  transfer: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  views: fc.array(fc.nat({ max: 3 }), { maxLength: 4 }),
  referenced: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
});

export type TransferRecipe = (typeof transferRecipeArb) extends fc.Arbitrary<infer R> ? R : never;

export function buildTransfer(recipe: TransferRecipe): { value: unknown; transfer: ArrayBuffer[]; buffers: ArrayBuffer[] } {
  const buffers = recipe.sizes.map((size, i) => {
    const ab = recipe.resizable[i] === true
      ? new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(size, { maxByteLength: size + 8 })
      : new ArrayBuffer(size);
    new Uint8Array(ab).forEach((_, j, a) => { a[j] = (i * 31 + j) & 0xff; });
    return ab;
  });
  const value = {
    buffers: buffers.filter((_, i) => recipe.referenced[i] === true),
    views: recipe.views.map((i) => new Uint8Array(buffers[i % buffers.length] as ArrayBuffer)),
  };
  const transfer = buffers.filter((_, i) => recipe.transfer[i] === true);
  return { value, transfer, buffers };
}

// ---------------------------------------------------------------------------------------------
// Structural equality of two clones: same prototypes, same own keys in order, same flags, -0 and
// NaN by Object.is, holes by absence, and the same identity structure (a bijection of objects).

export function cloneDifference(a: unknown, b: unknown): string | undefined {
  return new Comparer().compare(a, b, '$');
}

class Comparer {
  readonly #seen = new Map<object, object>();
  readonly #seenBack = new Map<object, object>();

  compare(a: unknown, b: unknown, path: string): string | undefined {
    if (typeof a !== typeof b) return `${path}: typeof ${typeof a} vs ${typeof b}`;
    if (typeof a !== 'object' || a === null || b === null) {
      return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
    }
    const x = a;
    const y = b as object;
    const known = this.#seen.get(x);
    if (known !== undefined || this.#seenBack.has(y)) return known === y ? undefined : `${path}: identity structure differs`;
    this.#seen.set(x, y);
    this.#seenBack.set(y, x);
    if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return `${path}: prototypes differ`;
    const tag = Object.prototype.toString.call(x);
    if (tag !== Object.prototype.toString.call(y)) return `${path}: ${tag} vs ${Object.prototype.toString.call(y)}`;
    return this.#compareSlots(x, y, path) ?? this.#compareOwnProperties(x, y, path);
  }

  #compareSlots(x: object, y: object, path: string): string | undefined {
    if (x instanceof Date) return Object.is(x.getTime(), (y as Date).getTime()) ? undefined : `${path}: time`;
    if (x instanceof RegExp) {
      const r = y as RegExp;
      return x.source === r.source && x.flags === r.flags && x.lastIndex === r.lastIndex ? undefined : `${path}: regexp ${String(x)} vs ${String(r)}`;
    }
    if (x instanceof Number || x instanceof String || x instanceof Boolean || Object.prototype.toString.call(x) === '[object BigInt]') {
      return Object.is(x.valueOf(), y.valueOf()) ? undefined : `${path}: boxed ${String(x.valueOf())} vs ${String(y.valueOf())}`;
    }
    if (x instanceof Map) {
      const ex = [...x];
      const ey = [...(y as Map<unknown, unknown>)];
      if (ex.length !== ey.length) return `${path}: map size`;
      for (let i = 0; i < ex.length; i++) {
        const d = this.compare(ex[i]?.[0], ey[i]?.[0], `${path}.key(${i})`) ?? this.compare(ex[i]?.[1], ey[i]?.[1], `${path}.get(${i})`);
        if (d !== undefined) return d;
      }
    }
    if (x instanceof Set) {
      const ex = [...x];
      const ey = [...(y as Set<unknown>)];
      if (ex.length !== ey.length) return `${path}: set size`;
      for (let i = 0; i < ex.length; i++) {
        const d = this.compare(ex[i], ey[i], `${path}.item(${i})`);
        if (d !== undefined) return d;
      }
    }
    if (x instanceof ArrayBuffer) return this.#compareBuffers(x, y as ArrayBuffer, path);
    if (ArrayBuffer.isView(x)) return this.#compareViews(x, y as ArrayBufferView, path);
    if (x instanceof Error) return this.#compareErrors(x, y as Error, path);
    return undefined;
  }

  #compareBuffers(x: ArrayBuffer, y: ArrayBuffer, path: string): string | undefined {
    const rx = x as ResizableBuffer;
    const ry = y as ResizableBuffer;
    if (x.byteLength !== y.byteLength || rx.resizable !== ry.resizable || rx.maxByteLength !== ry.maxByteLength) {
      return `${path}: buffer shape ${x.byteLength}/${String(rx.resizable)}/${rx.maxByteLength} vs ${y.byteLength}/${String(ry.resizable)}/${ry.maxByteLength}`;
    }
    const bx = new Uint8Array(x);
    const by = new Uint8Array(y);
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return `${path}: byte ${i}`;
    return undefined;
  }

  #compareViews(x: ArrayBufferView, y: ArrayBufferView, path: string): string | undefined {
    if (x.byteOffset !== y.byteOffset || x.byteLength !== y.byteLength) return `${path}: view offset/length`;
    const d = this.compare(x.buffer, y.buffer, `${path}.buffer`);
    if (d !== undefined) return d;
    // Length-tracking or not: grow both buffers and see whether both views follow.
    const bx = x.buffer as ResizableBuffer;
    const by = y.buffer as ResizableBuffer;
    if (bx.resizable === true && bx.byteLength < bx.maxByteLength) {
      const length = bx.byteLength;
      bx.resize(bx.maxByteLength);
      by.resize(by.maxByteLength);
      const same = x.byteLength === y.byteLength;
      bx.resize(length);
      by.resize(length);
      if (!same) return `${path}: length-tracking differs`;
    }
    return undefined;
  }

  #compareErrors(x: Error, y: Error, path: string): string | undefined {
    for (const key of ['message', 'cause']) {
      const dx = Object.getOwnPropertyDescriptor(x, key);
      const dy = Object.getOwnPropertyDescriptor(y, key);
      if ((dx === undefined) !== (dy === undefined)) return `${path}: own ${key} ${dx === undefined ? 'missing' : 'present'} vs ${dy === undefined ? 'missing' : 'present'}`;
      if (dx !== undefined && dy !== undefined) {
        if (dx.enumerable !== dy.enumerable || dx.writable !== dy.writable || dx.configurable !== dy.configurable) return `${path}.${key}: flags`;
        const d = this.compare(dx.value, dy.value, `${path}.${key}`);
        if (d !== undefined) return d;
      }
    }
    return undefined;
  }

  #compareOwnProperties(x: object, y: object, path: string): string | undefined {
    const skipped = x instanceof Error ? new Set(['stack', 'message', 'cause']) : new Set<string>();
    const kx = Reflect.ownKeys(x).filter((k) => typeof k !== 'string' || !skipped.has(k));
    const ky = Reflect.ownKeys(y).filter((k) => typeof k !== 'string' || !skipped.has(k));
    if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) return `${path}: own keys [${kx.map(String).join()}] vs [${ky.map(String).join()}]`;
    for (const key of kx) {
      const dx = Object.getOwnPropertyDescriptor(x, key) as PropertyDescriptor;
      const dy = Object.getOwnPropertyDescriptor(y, key) as PropertyDescriptor;
      if (dx.enumerable !== dy.enumerable || dx.writable !== dy.writable || dx.configurable !== dy.configurable || 'get' in dx !== 'get' in dy) {
        return `${path}[${String(key)}]: property flags`;
      }
      if ('value' in dx) {
        const d = this.compare(dx.value, dy.value, `${path}[${JSON.stringify(String(key))}]`);
        if (d !== undefined) return d;
      }
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The properties. Each throws an Error describing the first difference.

function outcome(fn: () => unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error || error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
}

export function checkCloneable(value: unknown): void {
  const theirs = outcome(() => structuredClone(value));
  const mine = outcome(() => ours(value));
  if ('error' in theirs || 'error' in mine) {
    const t = 'error' in theirs ? describeError(theirs.error) : 'ok';
    const m = 'error' in mine ? describeError(mine.error) : 'ok';
    if ('error' in theirs && 'error' in mine && (theirs.error as Error).name === (mine.error as Error).name) return;
    throw new Error(`outcomes differ: native ${t}, entangle ${m}`);
  }
  const difference = cloneDifference(mine.value, theirs.value);
  if (difference !== undefined) throw new Error(`clones differ at ${difference}`);
}

export function checkNonCloneable(value: unknown): void {
  const theirs = outcome(() => structuredClone(value));
  const mine = outcome(() => ours(value));
  const isDataCloneError = (o: { error: unknown } | { value: unknown }): boolean =>
    'error' in o && o.error instanceof DOMException && o.error.name === 'DataCloneError';
  if (!isDataCloneError(theirs)) throw new Error(`test bug: native did not throw DataCloneError (${'error' in theirs ? describeError(theirs.error) : 'ok'})`);
  if (!isDataCloneError(mine)) throw new Error(`entangle did not throw DataCloneError (${'error' in mine ? describeError(mine.error) : 'ok'})`);
}

export function checkTransfer(recipe: TransferRecipe): void {
  const theirs = buildTransfer(recipe);
  const mine = buildTransfer(recipe);
  const t = structuredClone(theirs.value, { transfer: theirs.transfer });
  const m = ours(mine.value, mine.transfer);
  const difference = cloneDifference(m, t);
  if (difference !== undefined) throw new Error(`transfer clones differ at ${difference}`);
  mine.buffers.forEach((ab, i) => {
    if (ab.byteLength !== (theirs.buffers[i] as ArrayBuffer).byteLength) throw new Error(`buffer ${i}: detached state differs`);
  });
}
