// Serialized records: the output of StructuredSerializeInternal, as plain data.
// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal
//
// A record never references a user object. Records form a graph: a value reached twice during
// serialization yields the *same* record object twice (the spec's memory map), so shared
// references and cycles survive. The wire format (src/wire/) turns this graph into bytes;
// same-node messages hand the graph over as it is. Primitives are their own record.
//
// Ownership: the bytes inside an ArrayBuffer record are a private copy (or, for a transferred
// buffer, the detached data block), so a record may be deserialized once without copying
// again; deserializing the same record twice yields two objects sharing those bytes.

export type Primitive = undefined | null | boolean | number | bigint | string;

/** Any serialized value: a primitive stands for itself, everything else is an object record. */
export type Serialized = Primitive | ObjectRecord;

export type TypedArrayName =
  | 'Int8Array' | 'Uint8Array' | 'Uint8ClampedArray' | 'Int16Array' | 'Uint16Array'
  | 'Int32Array' | 'Uint32Array' | 'Float16Array' | 'Float32Array' | 'Float64Array'
  | 'BigInt64Array' | 'BigUint64Array';

/** The Error names the spec keeps; any other name serializes as "Error". */
export type ErrorName =
  | 'Error' | 'EvalError' | 'RangeError' | 'ReferenceError' | 'SyntaxError' | 'TypeError' | 'URIError';

/** One own enumerable string-keyed property of an Object or Array, in enumeration order. */
export type PropertyRecord = readonly [key: string, value: Serialized];

export type ObjectRecord =
  | { readonly type: 'Boolean'; readonly value: boolean }
  | { readonly type: 'Number'; readonly value: number }
  | { readonly type: 'BigInt'; readonly value: bigint }
  | { readonly type: 'String'; readonly value: string }
  | { readonly type: 'Date'; readonly value: number }
  | { readonly type: 'RegExp'; readonly source: string; readonly flags: string }
  /** Bytes are a private copy (fixed length). */
  | { readonly type: 'ArrayBuffer'; readonly data: ArrayBuffer }
  /** `data.byteLength` is the current length; the clone can grow up to maxByteLength. */
  | { readonly type: 'ResizableArrayBuffer'; readonly data: ArrayBuffer; readonly maxByteLength: number }
  /** Shared memory is shared, not copied: only meaningful within one agent cluster. */
  | { readonly type: 'SharedArrayBuffer'; readonly buffer: SharedArrayBuffer }
  | {
      readonly type: 'ArrayBufferView';
      readonly constructor: TypedArrayName | 'DataView';
      /** An ArrayBuffer, ResizableArrayBuffer, SharedArrayBuffer or Transferred record. */
      readonly buffer: ObjectRecord;
      readonly byteOffset: number;
      /** Element count for typed arrays, byte length for DataView; null when length-tracking. */
      readonly length: number | null;
    }
  /** Keys and values alternate: [k0, v0, k1, v1, …], in insertion order. */
  | { readonly type: 'Map'; readonly entries: Serialized[] }
  | { readonly type: 'Set'; readonly values: Serialized[] }
  | {
      readonly type: 'Error';
      readonly name: ErrorName;
      readonly message?: string;
      readonly stack?: string;
      /** Present only when the original had an own `cause` property. */
      readonly cause?: Serialized;
      readonly hasCause: boolean;
    }
  /** `length` is kept so holes stay holes; properties are own enumerable ones, indices included. */
  | { readonly type: 'Array'; readonly length: number; readonly properties: PropertyRecord[] }
  | { readonly type: 'Object'; readonly properties: PropertyRecord[] }
  /** Blob and File are immutable: same-node records hold the object itself; the wire layer reads its bytes asynchronously. */
  | { readonly type: 'Blob'; readonly blob: Blob }
  | { readonly type: 'File'; readonly file: File }
  | { readonly type: 'DOMException'; readonly name: string; readonly message: string }
  /** A value from the transfer list: index into the transfer data holders. */
  | { readonly type: 'Transferred'; readonly index: number };

/** What the transfer steps of a transferable produce, and the receiving steps consume. */
export type TransferDataHolder =
  | { readonly type: 'ArrayBuffer'; readonly data: ArrayBuffer }
  | { readonly type: 'ResizableArrayBuffer'; readonly data: ArrayBuffer; readonly maxByteLength: number }
  | { readonly type: 'platform'; readonly interfaceName: string; readonly state: unknown };

/** StructuredSerializeWithTransfer's result. */
export interface SerializedWithTransfer {
  readonly serialized: Serialized;
  readonly transferDataHolders: readonly TransferDataHolder[];
}

/** StructuredDeserializeWithTransfer's result. */
export interface DeserializedWithTransfer {
  readonly deserialized: unknown;
  /** The values created from the holders, in transfer-list order. */
  readonly transferredValues: readonly unknown[];
}
