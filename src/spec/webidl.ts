// WebIDL conversions and interface shape for the spec objects: the argument handling that
// decides which wrong arguments are TypeErrors (item 4), and the enumerable, branded look of
// a platform interface. https://webidl.spec.whatwg.org/

import { typeError } from '../errors.ts';

const ArrayProtoValues = Array.prototype[Symbol.iterator];
const ArrayIteratorProto = Object.getPrototypeOf([][Symbol.iterator]()) as { next: unknown };
const ArrayIteratorNext = ArrayIteratorProto.next;

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** DOMString: ToString, which throws a TypeError for symbols. */
export function toDOMString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'symbol') throw typeError('Cannot convert a Symbol value to a string');
  return `${value as string}`;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** USVString: a DOMString with every lone surrogate replaced by U+FFFD. */
export function toUSVString(value: unknown): string {
  const string = toDOMString(value);
  const wellFormed = (String.prototype as { toWellFormed?: () => string }).toWellFormed;
  if (wellFormed !== undefined) return wellFormed.call(string);
  return string.replace(loneSurrogate, '\uFFFD');
}

/**
 * sequence<T> from an iterable object (CreateSequenceFromIterable), converting each element.
 * Arrays whose iteration is untouched take an index loop: same result, no iterator objects.
 */
export function toSequence<T>(value: unknown, convert: (element: unknown) => T, context: string): T[] {
  if (!isObject(value)) throw typeError(`${context} is not an object`);
  const method = (value as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  return sequenceFromIterable(value, method, convert, context);
}

function sequenceFromIterable<T>(
  iterable: object,
  method: unknown,
  convert: (element: unknown) => T,
  context: string,
): T[] {
  if (typeof method !== 'function') throw typeError(`${context} is not iterable`);
  const out: T[] = [];
  if (Array.isArray(iterable) && method === ArrayProtoValues && ArrayIteratorProto.next === ArrayIteratorNext) {
    for (let i = 0; i < iterable.length; i++) out.push(convert(iterable[i]));
    return out;
  }
  const iterator = Reflect.apply(method, iterable, []) as unknown;
  if (!isObject(iterator)) throw typeError(`${context}: the iterator is not an object`);
  const next = (iterator as { next: unknown }).next;
  for (;;) {
    if (typeof next !== 'function') throw typeError(`${context}: the iterator has no next()`);
    const result = Reflect.apply(next, iterator, []) as unknown;
    if (!isObject(result)) throw typeError(`${context}: the iterator result is not an object`);
    if ((result as IteratorResult<unknown>).done) return out;
    out.push(convert((result as IteratorResult<unknown>).value));
  }
}

/** `object` element conversion: anything but an object is a TypeError (not a DataCloneError). */
function toObject(context: string): (element: unknown) => object {
  return (element) => {
    if (!isObject(element)) throw typeError(`${context}: transfer list entries must be objects`);
    return element;
  };
}

/**
 * StructuredSerializeOptions → its `transfer` member (sequence<object>, default []).
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeoptions
 */
export function toStructuredSerializeOptions(value: unknown, context: string): object[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) throw typeError(`${context}: the options argument is not an object`);
  const transfer = (value as { transfer?: unknown }).transfer;
  if (transfer === undefined) return [];
  return toSequence(transfer, toObject(context), `${context}: 'transfer'`);
}

/**
 * The second argument of `postMessage(message, transfer)` / `postMessage(message, options)`,
 * by WebIDL overload resolution: undefined or null → options; an object with @@iterator →
 * sequence<object>; any other object → options; a primitive → TypeError.
 */
export function toPostMessageTransfer(value: unknown, context: string): object[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) throw typeError(`${context}: the second argument is neither an options dictionary nor a sequence`);
  const method = (value as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  if (method !== undefined && method !== null) {
    return sequenceFromIterable(value, method, toObject(context), context);
  }
  return toStructuredSerializeOptions(value, context);
}

/** boolean conversion of a dictionary member or argument. */
export function toBoolean(value: unknown): boolean {
  return Boolean(value);
}

/**
 * Give a class the look of a WebIDL interface: attributes and operations enumerable on the
 * prototype, and the interface name as the constructor's `name` and the prototype's
 * `Symbol.toStringTag`. The name is given, not read from the class: bundlers and minifiers
 * rename classes (esbuild turns `class MessageChannel` whose body refers to itself into
 * `class _MessageChannel`).
 */
export function defineInterface(constructor: { prototype: object }, interfaceName: string, members: readonly string[]): void {
  const proto = constructor.prototype;
  for (const name of members) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor === undefined) throw new Error(`defineInterface: ${interfaceName}.${name} is missing`);
    Object.defineProperty(proto, name, { ...descriptor, enumerable: true });
  }
  Object.defineProperty(constructor, 'name', { value: interfaceName, configurable: true });
  Object.defineProperty(proto, Symbol.toStringTag, { value: interfaceName, configurable: true });
}
