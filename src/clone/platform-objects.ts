// Platform objects as the clone sees them: the serializable ones (Blob, File, DOMException), the
// ones that are not (DataCloneError), and Proxy detection.
// https://html.spec.whatwg.org/multipage/structured-data.html#serializable-objects

import {
  BlobCtor, BlobSizeGetter, DOMExceptionCtor, DOMExceptionNameGetter, FileCtor, FileNameGetter,
  globalObject, nodeUtilTypes,
} from './intrinsics.ts';

/**
 * Is `value` a Proxy exotic object? Node's `util.types.isProxy` answers exactly and runs no trap.
 * DEVIATION(30): where the runtime offers no such check (browsers, Node < 20.16) a Proxy cannot be
 * told from its target in JavaScript, so it is serialized through its traps as an ordinary object
 * (or array) instead of throwing DataCloneError.
 */
export function isProxy(value: object): boolean {
  return nodeUtilTypes !== undefined && nodeUtilTypes.isProxy(value);
}

/** The realm's global object (a WindowProxy in browsers) is never serializable. */
export function isGlobalObject(value: object): boolean {
  return value === globalObject;
}

/** How an interface prototype found on an object's prototype chain classifies the object. */
export type PlatformLabel = 'Blob' | 'File' | 'DOMException' | 'NotSerializable';

/**
 * Interfaces whose instances are platform objects that are not [Serializable] here: cloning one
 * throws DataCloneError. Found by name and looked up on globalThis only when an object claims one
 * (platformInterfaceOf); a missing one is skipped.
 * Node's own structuredClone gives `{}` for most of these, which the spec does not allow.
 * DEVIATION(30): JavaScript cannot ask whether an object is a platform object, so the prototype
 * chain decides (subclasses included): Object.create(EventTarget.prototype) throws although it is
 * an ordinary object, and a platform object whose prototype was replaced clones as a plain object.
 */
const NOT_SERIALIZABLE: readonly string[] = [
  'EventTarget', // also AbortSignal, MessagePort, BroadcastChannel, Worker, WebSocket, Performance, Window, Node…
  'Event', // also CustomEvent, MessageEvent, ErrorEvent…
  'AbortController',
  'Headers', 'Request', 'Response', 'FormData', // Fetch: not [Serializable]
  'URL', 'URLSearchParams', // not [Serializable]
  // Streams are transferable in browsers (not here), never serializable. Node throws a TypeError; the spec a DataCloneError.
  'ReadableStream', 'WritableStream', 'TransformStream',
  'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
  'ReadableStreamDefaultController', 'ReadableByteStreamController', 'WritableStreamDefaultWriter',
  'WritableStreamDefaultController', 'TransformStreamDefaultController',
  'ByteLengthQueuingStrategy', 'CountQueuingStrategy',
  'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream', 'CompressionStream', 'DecompressionStream',
  'MessageChannel', // holds two ports; not [Serializable]
  'PerformanceEntry', 'PerformanceObserver', 'PerformanceObserverEntryList',
  'Crypto', 'SubtleCrypto',
  // DEVIATION(30): [Serializable] by WebCrypto (Node clones it), but a non-extractable key's
  // material cannot be read from JavaScript, so no record can carry it.
  'CryptoKey',
  // DEVIATION(30): [Serializable] in browsers but not supported here; a DataCloneError is better
  // than a silently wrong plain object.
  'ImageData', 'ImageBitmap', 'FileList', 'DOMPointReadOnly', 'DOMRectReadOnly', 'DOMQuad', 'DOMMatrixReadOnly',
  'RTCCertificate', 'VideoFrame', 'AudioData', 'EncodedVideoChunk', 'EncodedAudioChunk', 'FileSystemHandle',
  // Browser platform objects that are not EventTargets.
  'Location', 'History', 'Navigator', 'Storage', 'Screen', 'CSSStyleDeclaration', 'DOMTokenList', 'NodeList',
  'HTMLCollection', 'NamedNodeMap', 'Range', 'Selection', 'MutationObserver', 'ResizeObserver',
  'IntersectionObserver', 'CanvasRenderingContext2D', 'WebGLRenderingContext', 'WebGL2RenderingContext',
];

/**
 * WebAssembly objects. DEVIATION(30): the Wasm JS API makes Module (and shared Memory)
 * serializable and Node clones a Module, but a Module cannot be rebuilt without its bytes.
 */
const WEBASSEMBLY_NOT_SERIALIZABLE: readonly string[] = ['Module', 'Instance', 'Memory', 'Table', 'Global', 'Tag', 'Exception'];

/** An interface the clone treats as a platform object: how its instances clone, its name, and how to find its constructor. */
type PlatformInterface = readonly [label: PlatformLabel, name: string, constructor: () => unknown];

/** By the name its prototype's `constructor` has: Blob, File, DOMException, and the ones above. */
const PLATFORM_INTERFACES: ReadonlyMap<string, PlatformInterface> = (() => {
  const G = globalThis as Record<string, unknown>;
  const table = new Map<string, PlatformInterface>([
    ['File', ['File', 'File', () => FileCtor]],
    ['Blob', ['Blob', 'Blob', () => BlobCtor]],
    ['DOMException', ['DOMException', 'DOMException', () => DOMExceptionCtor]],
  ]);
  for (const name of NOT_SERIALIZABLE) table.set(name, ['NotSerializable', name, () => G[name]]);
  for (const name of WEBASSEMBLY_NOT_SERIALIZABLE) {
    table.set(name, ['NotSerializable', `WebAssembly.${name}`, () => (G['WebAssembly'] as Record<string, unknown> | undefined)?.[name]]);
  }
  return table;
})();

/** Every platform interface's label and name (for Symbol.toStringTag hints: no global is read). */
export function platformInterfaceNames(): Array<readonly [label: PlatformLabel, name: string]> {
  return [...PLATFORM_INTERFACES.values()].map(([label, name]) => [label, name] as const);
}

/**
 * The platform interface whose prototype `proto` is (not a Proxy), or undefined. The name of
 * its own `constructor` (read as data: no getter runs) picks a candidate, and the global of that
 * name is read only then, to confirm it is the very prototype: Node defines many of these globals
 * lazily (Headers and Response load undici; the streams, CompressionStream, Crypto…), and reading
 * them all up front cost every process that imports entangle ~2 MB of heap and ~90 ms. Not
 * cached here: the classifier keeps what it learns per prototype (classify.ts).
 */
export function platformInterfaceOf(proto: object): readonly [label: PlatformLabel, name: string] | undefined {
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
  if (typeof ctor !== 'function') return undefined;
  const name = Object.getOwnPropertyDescriptor(ctor, 'name')?.value as unknown;
  const candidate = typeof name === 'string' ? PLATFORM_INTERFACES.get(name) : undefined;
  if (candidate === undefined) return undefined;
  const real = candidate[2]();
  return typeof real === 'function' && (real as { prototype?: unknown }).prototype === proto ? [candidate[0], candidate[1]] : undefined;
}
function succeeds(check: ((v: unknown) => unknown) | undefined, value: object): boolean {
  if (check === undefined) return false;
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
}

/** Brand checks through the interfaces' own getters (they throw on a non-instance, run no user code). */
export function isBlob(value: object): boolean {
  return succeeds(BlobSizeGetter, value);
}

export function isFile(value: object): boolean {
  return succeeds(FileNameGetter, value);
}

export function isDOMException(value: object): boolean {
  return succeeds(DOMExceptionNameGetter, value);
}
