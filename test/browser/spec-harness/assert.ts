// `node:assert/strict` for a browser page: exactly the functions the spec tests call (ok, equal,
// notEqual, deepEqual, throws, doesNotThrow), with Node's strict semantics. deepEqual follows
// Node's deepStrictEqual: same prototype and type tag, own enumerable string and symbol keys,
// Object.is on primitives, Map/Set by content, and the internal values of Dates, RegExps,
// boxed primitives, buffers, views and errors. `test/browser/spec-in-chromium.e2e.ts` checks it
// against Node's own on a corpus, so that a pass in the browser means what it means in Node.

export class AssertionError extends Error {
  override name = 'AssertionError';
  readonly code = 'ERR_ASSERTION';
  constructor(message: string, readonly actual?: unknown, readonly expected?: unknown, readonly operator?: string) {
    super(message);
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  if (value === null || typeof value !== 'object') return Object.is(value, -0) ? '-0' : String(value);
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    const text = json === undefined ? '' : json.length > 300 ? `${json.slice(0, 300)}…` : json;
    return tag === 'Object' || tag === 'Array' ? text : `${tag} ${text}`;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function failWith(message: string | Error | undefined, fallback: string, actual?: unknown, expected?: unknown, operator?: string): never {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback, actual, expected, operator);
}

function ok(value: unknown, message?: string | Error): void {
  if (!value) failWith(message, `The expression evaluated to a falsy value: ${show(value)}`, value, true, '==');
}

function equal(actual: unknown, expected: unknown, message?: string | Error): void {
  if (!Object.is(actual, expected)) {
    failWith(message, `Expected values to be strictly equal:\n${show(actual)} !== ${show(expected)}`, actual, expected, 'strictEqual');
  }
}

function notEqual(actual: unknown, expected: unknown, message?: string | Error): void {
  if (Object.is(actual, expected)) {
    failWith(message, `Expected "actual" to be strictly unequal to: ${show(expected)}`, actual, expected, 'notStrictEqual');
  }
}

const tagOf = (value: object): string => Object.prototype.toString.call(value);
const enumerableSymbols = (value: object): symbol[] =>
  Object.getOwnPropertySymbols(value).filter((key) => Object.prototype.propertyIsEnumerable.call(value, key));

function bytesOf(value: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(value)
    ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    : new Uint8Array(value);
}

/** Node's deepStrictEqual. `memo` holds the pairs being compared, so that cycles terminate. */
function isDeepStrictEqual(a: unknown, b: unknown, memo = new Map<object, Set<object>>()): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tagOf(a) !== tagOf(b)) return false;
  const seen = memo.get(a);
  if (seen?.has(b)) return true;
  if (seen === undefined) memo.set(a, new Set([b]));
  else seen.add(b);

  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return false;
  if (a instanceof Date && a.getTime() !== (b as Date).getTime() && !(Number.isNaN(a.getTime()) && Number.isNaN((b as Date).getTime()))) return false;
  if (a instanceof RegExp) {
    const r = b as RegExp;
    if (a.source !== r.source || a.flags !== r.flags || a.lastIndex !== r.lastIndex) return false;
  }
  for (const Box of [Number, String, Boolean, BigInt, Symbol] as const) {
    const valueOf = Box.prototype.valueOf as (this: unknown) => unknown;
    let unboxedA: unknown;
    try {
      unboxedA = valueOf.call(a);
    } catch {
      continue;
    }
    if (!Object.is(unboxedA, valueOf.call(b))) return false;
  }
  if (a instanceof Error) {
    const e = b as Error;
    if (a.name !== e.name || a.message !== e.message) return false;
    if (('cause' in a || 'cause' in e) && !isDeepStrictEqual(a.cause, e.cause, memo)) return false;
  }
  if (a instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && a instanceof SharedArrayBuffer) || ArrayBuffer.isView(a)) {
    const x = bytesOf(a as ArrayBuffer);
    const y = bytesOf(b as ArrayBuffer);
    if (x.length !== y.length || x.some((byte, i) => byte !== y[i])) return false;
    if (ArrayBuffer.isView(a) && !(a instanceof DataView) && (a as Uint8Array).length !== (b as Uint8Array).length) return false;
  }
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    const unmatched = new Set(m.keys());
    for (const [key, value] of a) {
      if (unmatched.has(key)) {
        if (!isDeepStrictEqual(value, m.get(key), memo)) return false;
        unmatched.delete(key);
        continue;
      }
      if (typeof key !== 'object' || key === null) return false;
      const other = [...unmatched].find((candidate) =>
        isDeepStrictEqual(key, candidate, memo) && isDeepStrictEqual(value, m.get(candidate), memo));
      if (other === undefined) return false;
      unmatched.delete(other);
    }
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    if (a.size !== s.size) return false;
    const unmatched = new Set(s);
    for (const value of a) {
      if (unmatched.delete(value)) continue;
      if (typeof value !== 'object' || value === null) return false;
      const other = [...unmatched].find((candidate) => isDeepStrictEqual(value, candidate, memo));
      if (other === undefined) return false;
      unmatched.delete(other);
    }
  }
  // Views and buffers compare by content above; their index keys say the same thing again.
  if (ArrayBuffer.isView(a)) return true;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  const symbolsA = enumerableSymbols(a);
  if (symbolsA.length !== enumerableSymbols(b).length) return false;
  for (const key of [...keysA, ...symbolsA]) {
    if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
    if (!isDeepStrictEqual((a as Record<PropertyKey, unknown>)[key], (b as Record<PropertyKey, unknown>)[key], memo)) return false;
  }
  return true;
}

function deepEqual(actual: unknown, expected: unknown, message?: string | Error): void {
  if (!isDeepStrictEqual(actual, expected)) {
    failWith(message, `Expected values to be strictly deep-equal:\nactual:   ${show(actual)}\nexpected: ${show(expected)}`, actual, expected, 'deepStrictEqual');
  }
}

type Expected = RegExp | ((error: unknown) => unknown) | (new (...args: never[]) => unknown) | Record<string, unknown> | string;

/** Node's expectedException: a class (instanceof), a validation function (=== true), a RegExp, or an object of properties. */
function checkExpected(error: unknown, expected: Expected, message: string | Error | undefined): void {
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) failWith(message, `The input did not match the regular expression ${expected}. Input: ${show(String(error))}`, error, expected, 'throws');
    return;
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof (expected as new () => unknown)) return;
    if (expected === Error || Object.prototype.isPrototypeOf.call(Error, expected)) {
      failWith(message, `The error is expected to be an instance of "${expected.name}". Received ${show(error)}`, error, expected, 'throws');
    }
    const verdict = Reflect.apply(expected as (error: unknown) => unknown, {}, [error]);
    if (verdict !== true) {
      failWith(message, `The ${expected.name ? `"${expected.name}" ` : ''}validation function is expected to return "true". Received ${show(verdict)}; the error: ${show(error)}`, error, expected, 'throws');
    }
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    for (const key of Object.keys(expected)) {
      const actualValue = (error as Record<string, unknown> | null)?.[key];
      const expectedValue = expected[key];
      const matches = expectedValue instanceof RegExp && typeof actualValue === 'string'
        ? expectedValue.test(actualValue)
        : isDeepStrictEqual(actualValue, expectedValue);
      if (!matches) failWith(message, `The error's "${key}" is ${show(actualValue)}, expected ${show(expectedValue)}`, error, expected, 'throws');
    }
  }
}

function throws(fn: () => unknown, expected?: Expected | Error, message?: string | Error): void {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function.');
  if (typeof expected === 'string') {
    message = expected;
    expected = undefined;
  }
  let threw = false;
  let error: unknown;
  try {
    fn();
  } catch (thrown) {
    threw = true;
    error = thrown;
  }
  if (!threw) {
    const name = typeof expected === 'function' && expected.name ? ` (${expected.name})` : '';
    failWith(message, `Missing expected exception${name}.`, undefined, expected, 'throws');
  }
  if (expected !== undefined) checkExpected(error, expected as Expected, message);
}

function doesNotThrow(fn: () => unknown, message?: string | Error): void {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function.');
  try {
    fn();
  } catch (error) {
    failWith(message, `Got unwanted exception.\nActual message: "${error instanceof Error ? error.message : String(error)}"`, error, undefined, 'doesNotThrow');
  }
}

/** `assert(value)` is `assert.ok(value)`, as in Node. */
const assert = Object.assign((value: unknown, message?: string | Error): void => ok(value, message), {
  ok, equal, notEqual, deepEqual, throws, doesNotThrow, AssertionError,
  strictEqual: equal, notStrictEqual: notEqual, deepStrictEqual: deepEqual, strict: undefined as unknown,
});
assert.strict = assert;

export { ok, equal, notEqual, deepEqual, throws, doesNotThrow, isDeepStrictEqual };
export default assert;
