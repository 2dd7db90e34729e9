// The type dispatch of StructuredSerializeInternal: which internal slots an object has, found by
// brand checks (never by `instanceof`, the constructor or Symbol.toStringTag alone), so that it works
// across realms and with spoofed prototypes.
// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal

import {
  BigIntPrototypeValueOf, BooleanPrototypeValueOf, DatePrototypeGetTime, ErrorIsError,
  FinalizationRegistryPrototypeUnregister, getPrototypeOf, MapSizeGetter, nodeUtilTypes, NumberPrototypeValueOf,
  ObjectPrototype, objectPrototypeToString, RegExpSourceGetter, SetSizeGetter, StringPrototypeValueOf,
  SymbolPrototypeValueOf, WeakMapPrototypeHas, WeakRefPrototypeDeref, WeakSetPrototypeHas,
  type NodeUtilTypes,
} from './intrinsics.ts';
import { isArrayBuffer, isArrayBufferView, isSharedArrayBuffer } from './array-buffer.ts';
import {
  isBlob, isDOMException, isFile, isGlobalObject, isProxy, platformInterfaceNames, platformInterfaceOf, type PlatformLabel,
} from './platform-objects.ts';
import { transferableInterfaceOf } from './transferables.ts';

/** What StructuredSerializeInternal does with a non-array object. */
export const Kind = {
  /** No internal slots besides [[Prototype]], [[Extensible]], [[PrivateElements]]: a plain object record. */
  Ordinary: 0,
  Boolean: 1, Number: 2, BigInt: 3, String: 4, Date: 5, RegExp: 6,
  ArrayBuffer: 7, SharedArrayBuffer: 8, ArrayBufferView: 9,
  Map: 10, Set: 11, Error: 12,
  Blob: 13, File: 14, DOMException: 15,
  /** Other internal slots (Promise, WeakMap, Symbol wrapper, …) or a non-serializable platform object. */
  NotSerializable: 16,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** A prototype (or Symbol.toStringTag) hint, confirmed by a brand check before it is believed. */
interface Hint {
  readonly kind: Kind;
  readonly name: string;
  /** True when the object really has the slots; undefined when no side-effect-free check exists. */
  readonly brand: ((value: object) => boolean) | undefined;
}

function brandOf(check: ((v: unknown) => unknown) | undefined): ((value: object) => boolean) | undefined {
  if (check === undefined) return undefined;
  return (value) => {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  };
}

function bindLast<A, R>(fn: ((self: unknown, arg: A) => R) | undefined, arg: A): ((self: unknown) => R) | undefined {
  return fn === undefined ? undefined : (self) => fn(self, arg);
}

const brands = {
  boolean: brandOf(BooleanPrototypeValueOf),
  number: brandOf(NumberPrototypeValueOf),
  string: brandOf(StringPrototypeValueOf),
  bigint: brandOf(BigIntPrototypeValueOf),
  symbol: brandOf(SymbolPrototypeValueOf),
  date: brandOf(DatePrototypeGetTime),
  regExp: brandOf(RegExpSourceGetter),
  map: brandOf(MapSizeGetter),
  set: brandOf(SetSizeGetter),
  weakMap: brandOf((v) => WeakMapPrototypeHas(v, ObjectPrototype)),
  weakSet: brandOf((v) => WeakSetPrototypeHas(v, ObjectPrototype)),
  weakRef: brandOf(WeakRefPrototypeDeref),
  finalizationRegistry: brandOf(bindLast(FinalizationRegistryPrototypeUnregister, {})),
  arrayBuffer: (v: object) => isArrayBuffer(v),
  sharedArrayBuffer: (v: object) => isSharedArrayBuffer(v),
  // DEVIATION(30): before `Error.isError` no pure-JS check for [[ErrorData]] exists; without
  // Node's util.types an Error is recognised by its prototype chain or Symbol.toStringTag.
  error: ErrorIsError,
  blob: isBlob,
  file: isFile,
  domException: isDOMException,
};

function hint(kind: Kind, name: string, brand: ((value: object) => boolean) | undefined): Hint {
  return { kind, name, brand };
}

/** Prototypes of objects whose slots Node's util.types cannot name: only a prototype reveals them. */
function slotPrototypesBeyondNodeTypes(): Array<readonly [object | undefined, Hint]> {
  const G = globalThis as Record<string, unknown>;
  const protoOf = (make: () => unknown): object | undefined => {
    try {
      return getPrototypeOf(make()) as object;
    } catch {
      return undefined;
    }
  };
  const ctorProto = (ctor: unknown): object | undefined =>
    typeof ctor === 'function' ? ((ctor as { prototype?: object }).prototype) : undefined;
  const notSerializable = (name: string): Hint => hint(Kind.NotSerializable, name, undefined);
  const entries: Array<readonly [object | undefined, Hint]> = [
    [ctorProto(G['WeakRef']), hint(Kind.NotSerializable, 'WeakRef', brands.weakRef)],
    [ctorProto(G['FinalizationRegistry']), hint(Kind.NotSerializable, 'FinalizationRegistry', brands.finalizationRegistry)],
    // Iterators have slots but no brand check without stepping them; the prototype decides.
    [protoOf(() => [][Symbol.iterator]()), notSerializable('Array Iterator')],
    [protoOf(() => ''[Symbol.iterator]()), notSerializable('String Iterator')],
    [protoOf(() => /a/g[Symbol.matchAll]('')), notSerializable('RegExp String Iterator')],
    [protoOf(() => ([][Symbol.iterator]() as { map?: (f: () => number) => unknown }).map?.(() => 0)), notSerializable('Iterator Helper')],
    [ctorProto(G['DisposableStack']), notSerializable('DisposableStack')],
    [ctorProto(G['AsyncDisposableStack']), notSerializable('AsyncDisposableStack')],
  ];
  // ECMA-402 objects carry [[Initialized…]] slots.
  const intl = G['Intl'] as Record<string, unknown> | undefined;
  if (intl !== undefined) {
    for (const name of Object.getOwnPropertyNames(intl)) {
      const proto = ctorProto(intl[name]);
      if (proto !== undefined) entries.push([proto, notSerializable(`Intl.${name}`)]);
    }
  }
  return entries;
}

/** Built-in prototypes; only needed where util.types is missing (its checks see every one of these). */
function builtinPrototypes(): Array<readonly [object | undefined, Hint]> {
  const G = globalThis as Record<string, unknown>;
  const generatorProto = getPrototypeOf(getPrototypeOf(function* () { /* empty */ }).prototype) as object;
  const asyncGeneratorProto = getPrototypeOf(getPrototypeOf(async function* () { /* empty */ }).prototype) as object;
  const sab = G['SharedArrayBuffer'] as { prototype: object } | undefined;
  const bigint = G['BigInt'] as { prototype: object } | undefined;
  return [
    [Boolean.prototype, hint(Kind.Boolean, 'Boolean', brands.boolean)],
    [Number.prototype, hint(Kind.Number, 'Number', brands.number)],
    [String.prototype, hint(Kind.String, 'String', brands.string)],
    [bigint?.prototype, hint(Kind.BigInt, 'BigInt', brands.bigint)],
    [Symbol.prototype, hint(Kind.NotSerializable, 'Symbol', brands.symbol)],
    [Date.prototype, hint(Kind.Date, 'Date', brands.date)],
    [RegExp.prototype, hint(Kind.RegExp, 'RegExp', brands.regExp)],
    [ArrayBuffer.prototype, hint(Kind.ArrayBuffer, 'ArrayBuffer', brands.arrayBuffer)],
    [sab?.prototype, hint(Kind.SharedArrayBuffer, 'SharedArrayBuffer', brands.sharedArrayBuffer)],
    [Map.prototype, hint(Kind.Map, 'Map', brands.map)],
    [Set.prototype, hint(Kind.Set, 'Set', brands.set)],
    [Error.prototype, hint(Kind.Error, 'Error', brands.error)],
    [Promise.prototype, hint(Kind.NotSerializable, 'Promise', undefined)],
    [WeakMap.prototype, hint(Kind.NotSerializable, 'WeakMap', brands.weakMap)],
    [WeakSet.prototype, hint(Kind.NotSerializable, 'WeakSet', brands.weakSet)],
    [generatorProto, hint(Kind.NotSerializable, 'Generator', undefined)],
    [asyncGeneratorProto, hint(Kind.NotSerializable, 'AsyncGenerator', undefined)],
    [getPrototypeOf(new Map().entries()) as object, hint(Kind.NotSerializable, 'Map Iterator', undefined)],
    [getPrototypeOf(new Set().values()) as object, hint(Kind.NotSerializable, 'Set Iterator', undefined)],
  ];
}

function platformHint(label: PlatformLabel, name: string): Hint {
  switch (label) {
    case 'Blob': return hint(Kind.Blob, name, brands.blob);
    case 'File': return hint(Kind.File, name, brands.file);
    case 'DOMException': return hint(Kind.DOMException, name, brands.domException);
    case 'NotSerializable': return hint(Kind.NotSerializable, name, undefined);
    default: { const unreachable: never = label; throw new Error(`unknown label ${String(unreachable)}`); }
  }
}

/** Prototypes not in a table, asked about once: the platform interface's hint, or null (platform-objects.ts finds them by name). */
const platformHints = new WeakMap<object, Hint | null>();

/** The hint `table` has for `proto`, or the platform interface's whose prototype it is. */
function hintOf(proto: object, table: ReadonlyMap<object, Hint>): Hint | undefined {
  const known = table.get(proto);
  if (known !== undefined) return known;
  let h = platformHints.get(proto);
  if (h === undefined) {
    const iface = platformInterfaceOf(proto);
    h = iface === undefined ? null : platformHint(iface[0], iface[1]);
    platformHints.set(proto, h);
  }
  return h ?? undefined;
}

function toTable(entries: ReadonlyArray<readonly [object | undefined, Hint]>): Map<object, Hint> {
  const table = new Map<object, Hint>();
  for (const [proto, h] of entries) if (proto !== undefined && !table.has(proto)) table.set(proto, h);
  return table;
}

const nodeTypesPrototypes = toTable(slotPrototypesBeyondNodeTypes());
const portablePrototypes = toTable([...slotPrototypesBeyondNodeTypes(), ...builtinPrototypes()]);

/** Symbol.toStringTag / builtinTag → hint, for the portable classifier (works across realms). */
const portableTags = new Map<string, Hint>();
const platformTagHints = platformInterfaceNames().map(([label, name]) => [undefined, platformHint(label, name)] as const);
for (const [, h] of [...builtinPrototypes(), ...platformTagHints, ...slotPrototypesBeyondNodeTypes()]) {
  const tag = `[object ${h.name}]`;
  if (!portableTags.has(tag)) portableTags.set(tag, h);
}
portableTags.set('[object Arguments]', hint(Kind.NotSerializable, 'Arguments', undefined));
portableTags.set('[object Module]', hint(Kind.NotSerializable, 'Module', undefined));

function believe(h: Hint, value: object): boolean {
  return h.brand === undefined || h.brand(value);
}

/**
 * The prototype chain as a hint, for what brand checks cannot reach cheaply: platform interfaces,
 * iterators, Intl objects. A registered transferable reaching here is not in the transfer list
 * (those were found in memory), so it is not serializable either.
 */
function classifyByPrototype(value: object, table: ReadonlyMap<object, Hint>): Kind {
  if (isGlobalObject(value) || transferableInterfaceOf(value) !== undefined) return Kind.NotSerializable;
  for (let proto = getPrototypeOf(value); proto !== null && proto !== ObjectPrototype; proto = getPrototypeOf(proto)) {
    if (isProxy(proto)) break; // do not run a getPrototypeOf trap
    const h = hintOf(proto, table);
    if (h !== undefined) return believe(h, value) ? h.kind : Kind.Ordinary;
  }
  return Kind.Ordinary;
}

/** With Node's util.types: exact, non-throwing, and blind to prototypes and Symbol.toStringTag. */
function classifyWithNodeTypes(value: object): Kind {
  const t = nodeUtilTypes as NodeUtilTypes;
  if (isArrayBufferView(value)) return Kind.ArrayBufferView;
  if (t.isBoxedPrimitive(value)) {
    if (t.isNumberObject(value)) return Kind.Number;
    if (t.isStringObject(value)) return Kind.String;
    if (t.isBooleanObject(value)) return Kind.Boolean;
    if (t.isBigIntObject(value)) return Kind.BigInt;
    return Kind.NotSerializable; // a Symbol wrapper
  }
  if (t.isDate(value)) return Kind.Date;
  if (t.isMap(value)) return Kind.Map;
  if (t.isSet(value)) return Kind.Set;
  if (t.isRegExp(value)) return Kind.RegExp;
  if (t.isAnyArrayBuffer(value)) return t.isSharedArrayBuffer(value) ? Kind.SharedArrayBuffer : Kind.ArrayBuffer;
  if (t.isNativeError(value)) {
    // A platform DOMException is not "a non-platform object with [[ErrorData]]".
    return classifyByPrototype(value, nodeTypesPrototypes) === Kind.DOMException ? Kind.DOMException : Kind.Error;
  }
  if (
    t.isPromise(value) || t.isWeakMap(value) || t.isWeakSet(value) || t.isGeneratorObject(value) ||
    t.isMapIterator(value) || t.isSetIterator(value) || t.isArgumentsObject(value) ||
    t.isModuleNamespaceObject(value) || t.isExternal(value)
  ) {
    return Kind.NotSerializable;
  }
  return classifyByPrototype(value, nodeTypesPrototypes);
}

/**
 * Without util.types (browsers): Object.prototype.toString (builtinTag, or Symbol.toStringTag
 * which also names objects from other realms) and the prototype chain give a hint that a throwing
 * brand check confirms; checks are only tried when hinted, because a failing one is slow.
 * DEVIATION(30): this reads Symbol.toStringTag (a user getter there runs), and an object with
 * slots whose prototype was replaced and whose builtinTag is "Object" (a Map whose prototype is
 * Object.prototype, say) is taken to be ordinary.
 */
export function classifyPortable(value: object): Kind {
  if (isArrayBufferView(value)) return Kind.ArrayBufferView;
  const tagged = portableTags.get(objectPrototypeToString(value));
  if (tagged !== undefined && believe(tagged, value)) return tagged.kind;
  return classifyByPrototype(value, portablePrototypes);
}

/** Classifies a non-callable, non-array, non-Proxy object. */
export const classify: (value: object) => Kind = nodeUtilTypes === undefined ? classifyPortable : classifyWithNodeTypes;

/** This realm's prototypes of the common built-ins → the kind they suggest. */
function buildIntrinsicHints(): Map<object, Kind> {
  const G = globalThis as unknown as Record<string, { prototype?: object } | undefined>;
  const hints = new Map<object, Kind>();
  const add = (name: string, kind: Kind): void => {
    const proto = G[name]?.prototype;
    if (proto !== undefined) hints.set(proto, kind);
  };
  add('Date', Kind.Date); add('Map', Kind.Map); add('Set', Kind.Set); add('RegExp', Kind.RegExp);
  add('ArrayBuffer', Kind.ArrayBuffer); add('SharedArrayBuffer', Kind.SharedArrayBuffer); add('DataView', Kind.ArrayBufferView);
  for (const name of [
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  ]) add(name, Kind.ArrayBufferView);
  for (const name of ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError']) {
    add(name, Kind.Error);
  }
  add('Boolean', Kind.Boolean); add('Number', Kind.Number); add('String', Kind.String); add('BigInt', Kind.BigInt);
  return hints;
}

const intrinsicHints = buildIntrinsicHints();

/** One brand check for the kind a prototype suggests (util.types where present: they never throw). */
function confirmHint(kind: Kind, value: object): boolean {
  const t = nodeUtilTypes;
  switch (kind) {
    case Kind.Date: return t !== undefined ? t.isDate(value) : believe(portableHint(Date.prototype), value);
    case Kind.Map: return t !== undefined ? t.isMap(value) : believe(portableHint(Map.prototype), value);
    case Kind.Set: return t !== undefined ? t.isSet(value) : believe(portableHint(Set.prototype), value);
    case Kind.RegExp: return t !== undefined ? t.isRegExp(value) : believe(portableHint(RegExp.prototype), value);
    case Kind.ArrayBuffer: return isArrayBuffer(value);
    case Kind.SharedArrayBuffer: return isSharedArrayBuffer(value);
    case Kind.ArrayBufferView: return isArrayBufferView(value);
    case Kind.Error: return t !== undefined ? t.isNativeError(value) : ErrorIsError === undefined || ErrorIsError(value);
    case Kind.Boolean: return t !== undefined ? t.isBooleanObject(value) : believe(portableHint(Boolean.prototype), value);
    case Kind.Number: return t !== undefined ? t.isNumberObject(value) : believe(portableHint(Number.prototype), value);
    case Kind.String: return t !== undefined ? t.isStringObject(value) : believe(portableHint(String.prototype), value);
    case Kind.BigInt: return t !== undefined ? t.isBigIntObject(value) : brands.bigint !== undefined && brands.bigint(value);
    default: return false;
  }
}

function portableHint(proto: object): Hint {
  return portablePrototypes.get(proto) as Hint;
}

/**
 * Classifies a non-callable, non-array, non-Proxy object whose prototype is `proto`: when that is
 * a built-in's prototype, one brand check usually settles it; otherwise (or when the prototype
 * lied) every check runs.
 */
export function classifyWithPrototype(value: object, proto: object | null): Kind {
  const hinted = proto === null ? undefined : intrinsicHints.get(proto);
  if (hinted !== undefined && confirmHint(hinted, value)) return hinted;
  return classify(value);
}

/** A short name for the DataCloneError message; runs only on the error path. */
export function describeNotSerializable(value: object): string {
  if (isGlobalObject(value)) return 'The global object';
  const iface = transferableInterfaceOf(value);
  if (iface !== undefined) return `${withArticle(iface.name)} that is not in the transfer list`;
  for (let proto = getPrototypeOf(value); proto !== null; proto = getPrototypeOf(proto)) {
    if (isProxy(proto)) break;
    const h = hintOf(proto, portablePrototypes);
    if (h !== undefined) return withArticle(h.name);
  }
  try {
    return `An object ${objectPrototypeToString(value)}`;
  } catch {
    return 'An object';
  }
}

function withArticle(name: string): string {
  return `${/^[AEIOU]/.test(name) ? 'An' : 'A'} ${name}`;
}
