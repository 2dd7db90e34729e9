// Built-ins captured when this module loads ("primordials"), so that user code changing globals or
// prototypes later (or entangle's own polyfill replacing `structuredClone`) cannot change how a
// value is serialized or what a deserialized object is made of.
// https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserialize ("targetRealm's intrinsics")

type Uncurried<A extends unknown[], R> = (self: unknown, ...args: A) => R;

/** `fn` as a function taking its receiver first, as Node's primordials do. */
export function uncurryThis<A extends unknown[], R>(fn: (...args: A) => R): Uncurried<A, R> {
  return Function.prototype.call.bind(fn as (...args: unknown[]) => unknown) as Uncurried<A, R>;
}

/** The uncurried getter of `proto[key]`, if the runtime has it. */
export function getterOf<R>(proto: object | undefined, key: PropertyKey): ((self: unknown) => R) | undefined {
  const get = proto === undefined ? undefined : Object.getOwnPropertyDescriptor(proto, key)?.get;
  return get === undefined ? undefined : uncurryThis(get as () => R);
}

/** The uncurried method `proto[key]`, if the runtime has it. */
function methodOf<A extends unknown[], R>(proto: object | undefined, key: PropertyKey): Uncurried<A, R> | undefined {
  const fn = proto === undefined ? undefined : Object.getOwnPropertyDescriptor(proto, key)?.value;
  return typeof fn === 'function' ? uncurryThis(fn as (...args: A) => R) : undefined;
}

const G = globalThis as any;

// Object and Array.
export const ObjectCtor = Object;
export const ObjectPrototype = Object.prototype;
export const ArrayCtor = Array;
export const ArrayPrototype = Array.prototype;
export const { getPrototypeOf, defineProperty, getOwnPropertyDescriptor, keys: objectKeys } = Object;
export const { isArray } = Array;
export const hasOwnProperty = uncurryThis(Object.prototype.hasOwnProperty as (key: PropertyKey) => boolean);
export const objectPrototypeToString = uncurryThis(Object.prototype.toString as () => string);
/** The realm's global object: a platform object that is never serializable. */
export const globalObject: object = globalThis;

// Primitive wrappers, Date, RegExp.
export const BooleanPrototype: object = Boolean.prototype;
export const NumberPrototype: object = Number.prototype;
export const StringPrototype: object = String.prototype;
export const BooleanPrototypeValueOf = uncurryThis(Boolean.prototype.valueOf as () => boolean);
export const NumberPrototypeValueOf = uncurryThis(Number.prototype.valueOf as () => number);
export const StringPrototypeValueOf = uncurryThis(String.prototype.valueOf as () => string);
export const BigIntPrototypeValueOf = methodOf<[], bigint>(G.BigInt?.prototype, 'valueOf');
export const SymbolPrototypeValueOf = uncurryThis(Symbol.prototype.valueOf as () => symbol);
export const DateCtor = Date;
export const DatePrototypeGetTime = uncurryThis(Date.prototype.getTime as () => number);
export const RegExpCtor = RegExp;
export const RegExpSourceGetter = getterOf<string>(RegExp.prototype, 'source') as (self: unknown) => string;
/** [[OriginalFlags]] read flag by flag (the `flags` getter is generic and would run user getters), in `flags` order. */
export const RegExpFlagGetters: ReadonlyArray<readonly [flag: string, get: (self: unknown) => boolean | undefined]> = [
  ['d', 'hasIndices'], ['g', 'global'], ['i', 'ignoreCase'], ['m', 'multiline'],
  ['s', 'dotAll'], ['u', 'unicode'], ['v', 'unicodeSets'], ['y', 'sticky'],
].flatMap(([flag, name]) => {
  const get = getterOf<boolean | undefined>(RegExp.prototype, name as string);
  return get === undefined ? [] : [[flag as string, get] as const];
});

// Map and Set.
export const MapCtor = Map;
export const SetCtor = Set;
export const MapPrototypeSet = uncurryThis(Map.prototype.set as (k: unknown, v: unknown) => Map<unknown, unknown>);

/**
 * A Map for our own bookkeeping whose methods are this realm's originals, so that patching
 * Map.prototype later changes nothing (Node's SafeMap). Plain method calls, which V8 inlines.
 */
export class SafeMap<K, V> extends Map<K, V> {}
for (const key of ['get', 'set', 'has'] as const) {
  Object.defineProperty(SafeMap.prototype, key, { value: Map.prototype[key], writable: false, enumerable: false, configurable: false });
}
Object.freeze(SafeMap.prototype);
export const SetPrototypeAdd = uncurryThis(Set.prototype.add as (v: unknown) => Set<unknown>);
export const MapPrototypeForEach = uncurryThis(
  Map.prototype.forEach as (cb: (v: unknown, k: unknown) => void) => void,
);
export const SetPrototypeForEach = uncurryThis(Set.prototype.forEach as (cb: (v: unknown) => void) => void);
export const MapSizeGetter = getterOf<number>(Map.prototype, 'size') as (self: unknown) => number;
export const SetSizeGetter = getterOf<number>(Set.prototype, 'size') as (self: unknown) => number;

// Errors.
export const ErrorCtor = Error;
export const errorConstructors = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
} as const;
/** `Error.isError` (ES2026): the one pure-JS brand check for [[ErrorData]]. */
export const ErrorIsError = typeof G.Error.isError === 'function' ? (G.Error.isError as (v: unknown) => boolean) : undefined;
/**
 * The engine's own `stack` accessor, where the engine uses one (V8 on Node 20 keeps `stack` as an
 * own data property instead): only that getter is called, never a user-defined one.
 */
export const nativeStackGetter: unknown =
  Object.getOwnPropertyDescriptor(Error.prototype, 'stack')?.get ??
  Object.getOwnPropertyDescriptor(new Error(), 'stack')?.get;
export const ReflectDeleteProperty = Reflect.deleteProperty;
export const RangeErrorCtor = RangeError;
export const MathFloor = Math.floor;
export const ReflectApply = Reflect.apply;

// Weak references and friends: brand checks without side effects.
export const WeakMapPrototypeHas = uncurryThis(WeakMap.prototype.has as (k: object) => boolean);
export const WeakSetPrototypeHas = uncurryThis(WeakSet.prototype.has as (k: object) => boolean);
export const WeakRefPrototypeDeref = methodOf<[], unknown>(G.WeakRef?.prototype, 'deref');
export const FinalizationRegistryPrototypeUnregister = methodOf<[object], boolean>(
  G.FinalizationRegistry?.prototype, 'unregister',
);

// Blob, File, DOMException (may be missing in some runtimes).
export const BlobCtor: typeof Blob | undefined = typeof G.Blob === 'function' ? G.Blob : undefined;
export const FileCtor: typeof File | undefined = typeof G.File === 'function' ? G.File : undefined;
export const DOMExceptionCtor: typeof DOMException = DOMException;
export const BlobTypeGetter = getterOf<string>(BlobCtor?.prototype, 'type');
export const BlobSizeGetter = getterOf<number>(BlobCtor?.prototype, 'size');
export const FileNameGetter = getterOf<string>(FileCtor?.prototype, 'name');
export const FileLastModifiedGetter = getterOf<number>(FileCtor?.prototype, 'lastModified');
export const DOMExceptionNameGetter = getterOf<string>(DOMException.prototype, 'name');
export const DOMExceptionMessageGetter = getterOf<string>(DOMException.prototype, 'message');

/**
 * Node's `util.types`, found without importing a Node module (`process.getBuiltinModule`, Node
 * ≥ 20.16, also Deno and Bun): exact, non-throwing checks for internal slots, Proxy included.
 */
export interface NodeUtilTypes {
  isProxy(v: unknown): boolean;
  isBoxedPrimitive(v: unknown): boolean;
  isNumberObject(v: unknown): boolean;
  isStringObject(v: unknown): boolean;
  isBooleanObject(v: unknown): boolean;
  isBigIntObject(v: unknown): boolean;
  isDate(v: unknown): boolean;
  isRegExp(v: unknown): boolean;
  isMap(v: unknown): boolean;
  isSet(v: unknown): boolean;
  isAnyArrayBuffer(v: unknown): boolean;
  isArrayBuffer(v: unknown): boolean;
  isSharedArrayBuffer(v: unknown): boolean;
  isNativeError(v: unknown): boolean;
  isPromise(v: unknown): boolean;
  isWeakMap(v: unknown): boolean;
  isWeakSet(v: unknown): boolean;
  isGeneratorObject(v: unknown): boolean;
  isMapIterator(v: unknown): boolean;
  isSetIterator(v: unknown): boolean;
  isArgumentsObject(v: unknown): boolean;
  isModuleNamespaceObject(v: unknown): boolean;
  isExternal(v: unknown): boolean;
}

const NODE_TYPES_USED: ReadonlyArray<keyof NodeUtilTypes> = [
  'isProxy', 'isBoxedPrimitive', 'isNumberObject', 'isStringObject', 'isBooleanObject', 'isBigIntObject',
  'isDate', 'isRegExp', 'isMap', 'isSet', 'isAnyArrayBuffer', 'isArrayBuffer', 'isSharedArrayBuffer',
  'isNativeError', 'isPromise', 'isWeakMap', 'isWeakSet', 'isGeneratorObject', 'isMapIterator',
  'isSetIterator', 'isArgumentsObject', 'isModuleNamespaceObject', 'isExternal',
];

function loadNodeUtilTypes(): NodeUtilTypes | undefined {
  try {
    const util = G.process?.getBuiltinModule?.('node:util') as { types?: Record<string, unknown> } | undefined;
    const types = util?.types;
    if (types === undefined || NODE_TYPES_USED.some((name) => typeof types[name] !== 'function')) return undefined;
    return types as unknown as NodeUtilTypes;
  } catch {
    return undefined;
  }
}

export const nodeUtilTypes: NodeUtilTypes | undefined = loadNodeUtilTypes();

/** The runtime's own structuredClone, captured before entangle's polyfill can replace it. */
export const nativeStructuredClone: ((value: unknown, options?: { transfer?: unknown[] }) => unknown) | undefined =
  typeof G.structuredClone === 'function' ? G.structuredClone : undefined;

/** The runtime's own MessageChannel (last-resort way to detach an ArrayBuffer). */
export const NativeMessageChannel: (new () => { port1: { postMessage(m: unknown, t: unknown[]): void; close(): void } }) | undefined =
  typeof G.MessageChannel === 'function' ? G.MessageChannel : undefined;

/**
 * The settings object's cross-origin isolated capability: false only where the host says so
 * (a browser page without COOP/COEP). Node and other server runtimes behave as isolated.
 */
export const crossOriginIsolatedCapability: boolean = G.crossOriginIsolated !== false;
