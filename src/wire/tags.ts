// The wire format's stable numbers: the version byte, every value tag, and the small enumerations
// inside values. One file, so that a change to the format is a change here (and in
// docs/protocol.md, which describes each layout). Numbers are never reused.

import type { ErrorName, TypedArrayName } from '../clone/records.ts';

/** The first byte of every message. A decoder refuses any other (ENTANGLE_WIRE_VERSION). */
export const WIRE_VERSION = 1;

/** Value tags: the first byte of every encoded value (docs/protocol.md, "Values"). */
export const Tag = {
  Undefined: 0x00,
  Null: 0x01,
  False: 0x02,
  True: 0x03,
  /** varint n: the number n (0 ≤ n ≤ 2^53 − 1). */
  UInt: 0x04,
  /** varint n: the number −n − 1. */
  NegInt: 0x05,
  /** 8 bytes: an IEEE 754 double, little-endian (every number that is not a small integer: −0, NaN, …). */
  Float64: 0x06,
  /** varint byteCount, then the magnitude, little-endian: a non-negative BigInt. */
  BigIntPositive: 0x07,
  /** As BigIntPositive, negated. */
  BigIntNegative: 0x08,
  /** varint byteCount, then UTF-8: a well-formed string. */
  StringUtf8: 0x09,
  /** varint unitCount, then UTF-16 code units, little-endian: any string (lone surrogates included). */
  StringUtf16: 0x0a,
  /** Key position only: varint index into the message's key table. */
  KeyRef: 0x0b,
  /** Dense array element position only: no element at this index (a getter deleted it during serialization). */
  Hole: 0x0c,

  /** Object records (each takes the next object index when its tag is read). */
  Object: 0x10,
  ArrayDense: 0x11,
  ArraySparse: 0x12,
  /** varint objectIndex: the object record already decoded with that index (shared references, cycles). */
  BackRef: 0x13,
  Date: 0x14,
  RegExp: 0x15,
  BooleanObject: 0x16,
  NumberObject: 0x17,
  BigIntObject: 0x18,
  StringObject: 0x19,
  Map: 0x1a,
  Set: 0x1b,
  Error: 0x1c,
  ArrayBuffer: 0x1d,
  ResizableArrayBuffer: 0x1e,
  ArrayBufferView: 0x1f,
  DOMException: 0x20,
  /** varint holderIndex: a value from the transfer list (an entry of the holder table). */
  Transferred: 0x21,
  /** str type, varint size, size bytes (written by encodeWithTransferAsync, which reads the bytes first). */
  Blob: 0x22,
  /** As Blob, then str name, f64 lastModified. */
  File: 0x23,

  /** 0x40–0x7F: a well-formed string of 0–63 UTF-8 bytes, the count in the tag byte itself. */
  FixStrFirst: 0x40,
  /** 0x80–0xFF: the integers 0–127 in the tag byte itself. */
  FixIntFirst: 0x80,
} as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

/** Transfer data holder kinds in the holder table (docs/protocol.md, "Holder table"). */
export const HolderKind = {
  /** varint byteLength, bytes. */
  ArrayBuffer: 0,
  /** varint byteLength, varint maxByteLength, bytes. */
  ResizableArrayBuffer: 1,
  /** string interfaceName, varint byteLength, bytes produced by the routing layer's callback. */
  Platform: 2,
} as const;

/** Error record names, by their byte in an Error value. */
export const ERROR_NAMES: readonly ErrorName[] = [
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
];

/** ArrayBufferView constructors, by their byte in an ArrayBufferView value; with element sizes. */
export const VIEW_CONSTRUCTORS: readonly (TypedArrayName | 'DataView')[] = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView',
];
export const VIEW_ELEMENT_SIZES: readonly number[] = [1, 1, 1, 2, 2, 4, 4, 2, 4, 8, 8, 8, 1];

/** Error value flag bits. */
export const ErrorFlag = { Message: 1, Stack: 2, Cause: 4 } as const;

/**
 * The array index a property key names, else −1: a canonical decimal below 2^32 − 1 ("0", "17"; not
 * "01" or "4294967295"). Such keys are written as integers, and an array's must be below its length.
 */
export function arrayIndexOf(key: string): number {
  const n = key.length;
  if (n === 0 || n > 10 || (n > 1 && key.charCodeAt(0) === 0x30)) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = key.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value < 0xffffffff ? value : -1;
}
