// ArrayBuffer operations the clone needs and JavaScript does not expose on every runtime:
// IsDetachedBuffer, DetachArrayBuffer (zero-copy), resizable buffers, and for views the
// out-of-bounds and length-tracking states.
// https://tc39.es/ecma262/#sec-arraybuffer-objects

import { dataCloneError } from '../errors.ts';
import type { TypedArrayName } from './records.ts';
import {
  getPrototypeOf, getterOf, MathFloor, nativeStructuredClone, NativeMessageChannel, nodeUtilTypes, RangeErrorCtor, uncurryThis,
} from './intrinsics.ts';

/** ES2024 members of ArrayBuffer and SharedArrayBuffer that lib.es2023 does not declare. */
interface ResizableBufferOptions { maxByteLength: number }
type ArrayBufferCtorWithOptions = new (length: number, options?: ResizableBufferOptions) => ArrayBuffer;

const ArrayBufferCtor = ArrayBuffer as ArrayBufferCtorWithOptions;
const ArrayBufferProto = ArrayBuffer.prototype;
const SharedArrayBufferProto: object | undefined = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer.prototype : undefined;
const ArrayBufferByteLength = getterOf<number>(ArrayBufferProto, 'byteLength') as (ab: unknown) => number;
const ArrayBufferResizable = getterOf<boolean>(ArrayBufferProto, 'resizable');
const ArrayBufferMaxByteLength = getterOf<number>(ArrayBufferProto, 'maxByteLength');
const ArrayBufferDetached = getterOf<boolean>(ArrayBufferProto, 'detached');
const resizeMethod = (ArrayBufferProto as { resize?: (n: number) => void }).resize;
const ArrayBufferResize = resizeMethod === undefined ? undefined : uncurryThis(resizeMethod);
const transferMethod = (ArrayBufferProto as { transfer?: () => ArrayBuffer }).transfer;
const ArrayBufferTransfer = transferMethod === undefined ? undefined : uncurryThis(transferMethod);
const SharedArrayBufferByteLength = getterOf<number>(SharedArrayBufferProto, 'byteLength');
const SharedArrayBufferGrowable = getterOf<boolean>(SharedArrayBufferProto, 'growable');

const Uint8ArrayCtor = Uint8Array;
const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype) as object;
type AnyBuffer = ArrayBuffer | SharedArrayBuffer;
const TypedArrayName = getterOf<TypedArrayName | undefined>(TypedArrayPrototype, Symbol.toStringTag) as
  (v: unknown) => TypedArrayName | undefined;
const TypedArrayBuffer = getterOf<AnyBuffer>(TypedArrayPrototype, 'buffer') as (v: unknown) => AnyBuffer;
const TypedArrayByteOffset = getterOf<number>(TypedArrayPrototype, 'byteOffset') as (v: unknown) => number;
const TypedArrayLength = getterOf<number>(TypedArrayPrototype, 'length') as (v: unknown) => number;
const TypedArrayEntries = uncurryThis(Uint8Array.prototype.entries as () => unknown);
const TypedArraySet = uncurryThis(Uint8Array.prototype.set as (source: ArrayLike<number>, offset?: number) => void);
const DataViewCtor = DataView;
const DataViewBuffer = getterOf<AnyBuffer>(DataView.prototype, 'buffer') as (v: unknown) => AnyBuffer;
const DataViewByteOffset = getterOf<number>(DataView.prototype, 'byteOffset') as (v: unknown) => number;
const DataViewByteLength = getterOf<number>(DataView.prototype, 'byteLength') as (v: unknown) => number;
const { isView } = ArrayBuffer;

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => ArrayBufferView;

/** The typed array constructors of this realm, by [[TypedArrayName]] (Float16Array where present). */
const typedArrayConstructors = new Map<string, ViewConstructor & { BYTES_PER_ELEMENT: number }>();
for (const name of [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const) {
  const ctor = (globalThis as Record<string, unknown>)[name];
  if (typeof ctor === 'function') typedArrayConstructors.set(name, ctor as ViewConstructor & { BYTES_PER_ELEMENT: number });
}

/** Is `value` an ArrayBuffer (not shared)? A brand check that runs no user code. */
export function isArrayBuffer(value: object): value is ArrayBuffer {
  if (nodeUtilTypes !== undefined) return nodeUtilTypes.isArrayBuffer(value);
  try {
    ArrayBufferByteLength(value);
    return true;
  } catch {
    return false;
  }
}

/** Is `value` a SharedArrayBuffer? */
export function isSharedArrayBuffer(value: object): value is SharedArrayBuffer {
  if (nodeUtilTypes !== undefined) return nodeUtilTypes.isSharedArrayBuffer(value);
  if (SharedArrayBufferByteLength === undefined) return false;
  try {
    SharedArrayBufferByteLength(value);
    return true;
  } catch {
    return false;
  }
}

/** Is `value` a typed array or a DataView? */
export function isArrayBufferView(value: object): value is ArrayBufferView {
  return isView(value);
}

/**
 * IsDetachedBuffer. Without `ArrayBuffer.prototype.detached` (Node 20): a detached buffer has
 * byteLength 0, and constructing a view over it throws, while a view over an empty live buffer
 * does not.
 * https://tc39.es/ecma262/#sec-isdetachedbuffer
 */
export function isDetachedBuffer(ab: ArrayBuffer): boolean {
  if (ArrayBufferDetached !== undefined) return ArrayBufferDetached(ab);
  if (ArrayBufferByteLength(ab) !== 0) return false;
  try {
    new Uint8ArrayCtor(ab);
    return false;
  } catch {
    return true;
  }
}

/** IsFixedLengthArrayBuffer, negated. */
export function isResizableArrayBuffer(ab: ArrayBuffer): boolean {
  return ArrayBufferResizable !== undefined && ArrayBufferResizable(ab);
}

export function arrayBufferMaxByteLength(ab: ArrayBuffer): number {
  return ArrayBufferMaxByteLength === undefined ? ArrayBufferByteLength(ab) : ArrayBufferMaxByteLength(ab);
}

/**
 * A new buffer holding a copy of `ab`'s bytes (CreateByteDataBlock + CopyDataBlockBytes); with
 * maxByteLength, a resizable copy. No species lookup: `slice` would read `constructor` and
 * Symbol.species, which user code may define.
 */
export function copyArrayBuffer(ab: ArrayBuffer, maxByteLength?: number): ArrayBuffer {
  const length = ArrayBufferByteLength(ab);
  const copy = maxByteLength === undefined ? new ArrayBufferCtor(length) : new ArrayBufferCtor(length, { maxByteLength });
  TypedArraySet(new Uint8ArrayCtor(copy), new Uint8ArrayCtor(ab, 0, length));
  return copy;
}

/** A copy of `length` bytes of `buffer` from `offset` (again without species). */
function copyBytes(buffer: AnyBuffer, offset: number, length: number): Uint8Array {
  const bytes = new Uint8ArrayCtor(length);
  TypedArraySet(bytes, new Uint8ArrayCtor(buffer, offset, length));
  return bytes;
}

/**
 * DetachArrayBuffer(ab), returning a new ArrayBuffer that owns the data block (zero-copy where the
 * runtime allows it) and keeps resizability. May throw for buffers that cannot be detached
 * (WebAssembly.Memory's), as the spec's `? DetachArrayBuffer` does.
 * https://tc39.es/ecma262/#sec-detacharraybuffer
 */
export function detachArrayBuffer(ab: ArrayBuffer): ArrayBuffer {
  // ES2024 ArrayBuffer.prototype.transfer() with no length preserves resizability.
  if (ArrayBufferTransfer !== undefined) return ArrayBufferTransfer(ab);
  // Node 20: the runtime's own structuredClone transfers the block (resizable kept, verified).
  if (nativeStructuredClone !== undefined) return nativeStructuredClone(ab, { transfer: [ab] }) as ArrayBuffer;
  const copy = isResizableArrayBuffer(ab) ? copyArrayBuffer(ab, arrayBufferMaxByteLength(ab)) : copyArrayBuffer(ab);
  if (NativeMessageChannel !== undefined) {
    // Posting detaches synchronously; the message is never received (the port is closed).
    const { port1 } = new NativeMessageChannel();
    port1.postMessage(null, [ab]);
    port1.close();
    return copy;
  }
  // DEVIATION(29.3): no way to detach an ArrayBuffer in this runtime; the original stays usable
  // (the receiver gets a copy).
  return copy;
}

/** A resizable buffer with `data`'s bytes and this maxByteLength: `data` itself when it already is one. */
export function asResizableArrayBuffer(data: ArrayBuffer, maxByteLength: number): ArrayBuffer {
  if (isResizableArrayBuffer(data) && arrayBufferMaxByteLength(data) === maxByteLength) return data;
  return copyArrayBuffer(data, maxByteLength);
}

/** What the serialization of an ArrayBufferView records, before its buffer is serialized. */
export interface ViewInfo {
  readonly constructor: TypedArrayName | 'DataView';
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly byteOffset: number;
  /** Element count (typed arrays) or byte length (DataView); null when length-tracking. */
  readonly length: number | null;
}

/**
 * Reads an ArrayBufferView's [[ViewedArrayBuffer]], [[ByteOffset]] and length, and whether it is
 * length-tracking. Throws DataCloneError when IsArrayBufferViewOutOfBounds (detached included).
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal (ArrayBufferView step)
 */
export function inspectView(view: ArrayBufferView): ViewInfo {
  const name = TypedArrayName(view);
  if (name !== undefined) return inspectTypedArray(view, name);
  return inspectDataView(view);
}

function inspectTypedArray(view: ArrayBufferView, name: TypedArrayName): ViewInfo {
  const buffer = TypedArrayBuffer(view);
  const length = TypedArrayLength(view);
  // The length getter answers 0 for an out-of-bounds view; ValidateTypedArray (inside entries) throws.
  if (length === 0 && typedArrayIsOutOfBounds(view)) throw outOfBounds();
  const byteOffset = TypedArrayByteOffset(view);
  const elementSize = typedArrayConstructors.get(name)?.BYTES_PER_ELEMENT ?? 1;
  const tracking = isLengthTracking(view, buffer, byteOffset, length, elementSize, TypedArrayLength, typedArrayIsOutOfBounds);
  return { constructor: name, buffer, byteOffset, length: tracking ? null : length };
}

function inspectDataView(view: ArrayBufferView): ViewInfo {
  const buffer = DataViewBuffer(view);
  let byteLength: number;
  try {
    byteLength = DataViewByteLength(view); // GetViewByteLength throws when out of bounds.
  } catch {
    throw outOfBounds();
  }
  const byteOffset = DataViewByteOffset(view);
  const tracking = isLengthTracking(view, buffer, byteOffset, byteLength, 1, DataViewByteLength, dataViewIsOutOfBounds);
  return { constructor: 'DataView', buffer, byteOffset, length: tracking ? null : byteLength };
}

function outOfBounds(): DOMException {
  return dataCloneError('An ArrayBuffer view whose buffer is detached or too small could not be cloned.');
}

function typedArrayIsOutOfBounds(view: unknown): boolean {
  try {
    TypedArrayEntries(view);
    return false;
  } catch {
    return true;
  }
}

function dataViewIsOutOfBounds(view: unknown): boolean {
  try {
    DataViewByteLength(view);
    return false;
  } catch {
    return true;
  }
}

/**
 * Was the view created without a length over a resizable buffer ([[ArrayLength]] / [[ByteLength]]
 * "auto")? No API tells, so probe: only a view that reaches the buffer's end (to within one
 * element) can be tracking. Resize the buffer by the least amount that changes a tracking view's
 * length, look, and resize back; no user code can run in between, and the bytes are restored.
 */
function isLengthTracking(
  view: ArrayBufferView, buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number,
  elementSize: number, lengthOf: (v: unknown) => number, isOutOfBounds: (v: unknown) => boolean,
): boolean {
  const kind = resizability(buffer);
  if (kind === Resizability.Fixed) return false;
  const bufferLength = kind === Resizability.Resizable
    ? ArrayBufferByteLength(buffer)
    : (SharedArrayBufferByteLength as (v: unknown) => number)(buffer);
  if (bufferLength - (byteOffset + length * elementSize) >= elementSize) return false;
  // DEVIATION(30): a growable SharedArrayBuffer cannot shrink back and other threads would see it
  // grow, so a view on one that reaches its end is taken to be length-tracking.
  if (kind === Resizability.Growable) return true;
  return probeResizable(view, buffer as ArrayBuffer, bufferLength, byteOffset, length, elementSize, lengthOf, isOutOfBounds);
}

const Resizability = { Fixed: 0, Resizable: 1, Growable: 2 } as const;
type Resizability = (typeof Resizability)[keyof typeof Resizability];

function resizability(buffer: ArrayBuffer | SharedArrayBuffer): Resizability {
  if (ArrayBufferResizable === undefined) return Resizability.Fixed;
  if (nodeUtilTypes === undefined || !nodeUtilTypes.isSharedArrayBuffer(buffer)) {
    try {
      return ArrayBufferResizable(buffer) ? Resizability.Resizable : Resizability.Fixed;
    } catch {
      // A SharedArrayBuffer: the ArrayBuffer getter's brand check rejects it.
    }
  }
  try {
    return SharedArrayBufferGrowable?.(buffer) === true ? Resizability.Growable : Resizability.Fixed;
  } catch {
    return Resizability.Fixed;
  }
}

function probeResizable(
  view: ArrayBufferView, buffer: ArrayBuffer, bufferLength: number, byteOffset: number, length: number,
  elementSize: number, lengthOf: (v: unknown) => number, isOutOfBounds: (v: unknown) => boolean,
): boolean {
  const resize = ArrayBufferResize as (ab: unknown, n: number) => void;
  const max = arrayBufferMaxByteLength(buffer);
  // 1. Grow just enough for one more element: a tracking view's length follows, a fixed one's does not.
  const growTo = byteOffset + (length + 1) * elementSize;
  if (growTo <= max) {
    if (!tryResize(resize, buffer, growTo)) return true;
    const followed = lengthOf(view) === length + 1;
    resize(buffer, bufferLength);
    return followed;
  }
  // 2. An empty view that can never gain an element behaves the same either way.
  if (length === 0) return false;
  // 3. At maxByteLength: cut the view's last byte off. A fixed view goes out of bounds, a tracking
  //    one loses an element. Save and restore the bytes the shrink zeroes.
  const shrinkTo = byteOffset + length * elementSize - 1;
  const saved = copyBytes(buffer, shrinkTo, bufferLength - shrinkTo);
  if (!tryResize(resize, buffer, shrinkTo)) return true;
  const tracking = !isOutOfBounds(view);
  resize(buffer, bufferLength);
  TypedArraySet(new Uint8ArrayCtor(buffer, shrinkTo, saved.length), saved);
  return tracking;
}

/**
 * A buffer the host will not resize (none on Node 20) cannot be probed: it keeps the "reaches the
 * end" answer, as for growable SharedArrayBuffers.
 */
function tryResize(resize: (ab: unknown, n: number) => void, buffer: ArrayBuffer, length: number): boolean {
  try {
    resize(buffer, length);
    return true;
  } catch {
    return false;
  }
}

/** Creates a view for StructuredDeserialize; `length` null makes a length-tracking view. */
export function createView(
  constructorName: TypedArrayName | 'DataView', buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number | null,
): ArrayBufferView {
  const ctor = constructorName === 'DataView' ? (DataViewCtor as ViewConstructor) : typedArrayConstructors.get(constructorName);
  if (ctor === undefined) throw dataCloneError(`${constructorName} is not available in this realm.`);
  if (length !== null) return new ctor(buffer, byteOffset, length);
  try {
    return new ctor(buffer, byteOffset);
  } catch (error) {
    if (!(error instanceof RangeErrorCtor)) throw error;
    return createTrackingViewOverUnevenBuffer(ctor, buffer, byteOffset);
  }
}

/**
 * V8 before 11.5 (Node 20) wrongly requires (byteLength − byteOffset) to be a multiple of the
 * element size even for a length-tracking view over a resizable buffer. The buffer is ours and not
 * yet visible to anyone: shrink it to a multiple, make the view, grow it back, restore the tail.
 */
function createTrackingViewOverUnevenBuffer(
  ctor: ViewConstructor & { BYTES_PER_ELEMENT?: number }, buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number,
): ArrayBufferView {
  const elementSize = ctor.BYTES_PER_ELEMENT ?? 1;
  if (resizability(buffer) !== Resizability.Resizable) {
    // DEVIATION(31): a growable SharedArrayBuffer cannot shrink, so on such an engine the view is
    // made fixed-length at its current length.
    const byteLength = (SharedArrayBufferByteLength as (v: unknown) => number)(buffer);
    return new ctor(buffer, byteOffset, MathFloor((byteLength - byteOffset) / elementSize));
  }
  const resize = ArrayBufferResize as (ab: unknown, n: number) => void;
  const byteLength = ArrayBufferByteLength(buffer);
  const cut = byteLength - ((byteLength - byteOffset) % elementSize);
  const tail = copyBytes(buffer, cut, byteLength - cut);
  resize(buffer, cut);
  const view = new ctor(buffer, byteOffset);
  resize(buffer, byteLength);
  TypedArraySet(new Uint8ArrayCtor(buffer, cut, tail.length), tail);
  return view;
}
