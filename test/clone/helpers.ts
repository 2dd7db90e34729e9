// Shared by the clone tests: a round trip through records, a DataCloneError assertion, and a fake
// transferable platform interface standing in for MessagePort (tested for real in test/spec/).

import assert from 'node:assert/strict';
import {
  registerTransferable, structuredDeserializeWithTransfer, structuredSerializeWithTransfer, type TransferableInterface,
} from '../../src/clone/index.ts';

/** StructuredSerializeWithTransfer then StructuredDeserializeWithTransfer, as structuredClone does. */
export function clone<T>(value: T, transfer: readonly object[] = []): T {
  return structuredDeserializeWithTransfer(structuredSerializeWithTransfer(value, transfer)).deserialized as T;
}

export function isDataCloneError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'DataCloneError';
}

export function assertDataCloneError(fn: () => unknown, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DOMException, `expected a DOMException, got ${String(error)}`);
    assert.equal(error.name, 'DataCloneError');
    return true;
  }, message);
}

/** A transferable platform object: its state moves, the old object is [[Detached]] afterwards. */
export class FakePort {
  #detached = false;
  #queue: string[];
  constructor(queue: string[] = []) {
    this.#queue = queue;
  }
  static is(value: object): value is FakePort {
    return #detached in value;
  }
  get detached(): boolean {
    return this.#detached;
  }
  get queue(): readonly string[] {
    return this.#queue;
  }
  close(): void {
    this.#detached = true;
  }
  transfer(): string[] {
    const state = this.#queue;
    this.#queue = [];
    this.#detached = true;
    return state;
  }
}

/** States passed to `discard`, in order (tests clear it). */
export const discardedStates: unknown[] = [];

export const fakePortInterface: TransferableInterface<FakePort> = {
  name: 'FakePort',
  is: FakePort.is,
  isDetached: (port) => port.detached,
  transferSteps: (port) => port.transfer(),
  transferReceivingSteps: (state) => new FakePort([...(state as string[])]),
  discard: (state) => {
    discardedStates.push(state);
  },
};

registerTransferable(fakePortInterface);

/** A resizable ArrayBuffer (lib.es2023 does not declare the options argument). */
export function resizableBuffer(length: number, maxByteLength: number): ArrayBuffer & ResizableBufferMembers {
  const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & ResizableBufferMembers;
  return new Ctor(length, { maxByteLength });
}

export interface ResizableBufferMembers {
  readonly resizable: boolean;
  readonly maxByteLength: number;
  resize(length: number): void;
}

export type GrowableSharedBuffer = SharedArrayBuffer & { readonly growable: boolean; readonly maxByteLength: number; grow(n: number): void };

export function growableSharedBuffer(length: number, maxByteLength: number): GrowableSharedBuffer {
  const Ctor = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => GrowableSharedBuffer;
  return new Ctor(length, { maxByteLength });
}

/** ES2024 ArrayBuffer members, read loosely. */
export function bufferInfo(ab: ArrayBufferLike): { byteLength: number; resizable: boolean; maxByteLength: number } {
  const b = ab as ArrayBuffer & Partial<ResizableBufferMembers>;
  return { byteLength: b.byteLength, resizable: b.resizable === true, maxByteLength: b.maxByteLength ?? b.byteLength };
}
