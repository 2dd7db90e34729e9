// Transferring: the transfer-list steps of StructuredSerializeWithTransfer, the holder steps of
// StructuredDeserializeWithTransfer, and releasing the holders of a message never delivered.
// https://html.spec.whatwg.org/multipage/structured-data.html#transferable-objects

import { dataCloneError, EntangleError } from '../errors.ts';
import type { ObjectRecord, TransferDataHolder } from './records.ts';
import {
  arrayBufferMaxByteLength, asResizableArrayBuffer, detachArrayBuffer, isArrayBuffer, isDetachedBuffer,
  isResizableArrayBuffer, isSharedArrayBuffer,
} from './array-buffer.ts';
import { transferableInterfaceNamed, transferableInterfaceOf, type TransferableInterface } from './transferables.ts';

/** What a transfer-list entry is: a registered platform interface, or null for an ArrayBuffer. */
export type TransferKind = TransferableInterface | null;

/**
 * StructuredSerializeWithTransfer step 2: validate the transfer list and put a placeholder for each
 * entry in memory. Nothing is detached yet.
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializewithtransfer
 */
export function prepareTransferList(transferList: readonly object[], memory: Map<object, ObjectRecord>): TransferKind[] {
  const kinds: TransferKind[] = [];
  for (let index = 0; index < transferList.length; index++) {
    const transferable = transferList[index] as object;
    // 2.1–2.2. Neither [[ArrayBufferData]] nor [[Detached]], or a SharedArrayBuffer → DataCloneError.
    const kind = transferKindOf(transferable);
    // 2.3. A duplicate → DataCloneError.
    if (memory.has(transferable)) throw dataCloneError('An object appears more than once in the transfer list.');
    // 2.4. memory[transferable] = a placeholder, filled in by step 5.
    memory.set(transferable, { type: 'Transferred', index });
    kinds[index] = kind;
  }
  return kinds;
}

function transferKindOf(transferable: unknown): TransferKind {
  if ((typeof transferable !== 'object' || transferable === null) && typeof transferable !== 'function') {
    throw dataCloneError('Only objects can be transferred.');
  }
  const iface = transferableInterfaceOf(transferable);
  if (iface !== undefined) return iface;
  if (isArrayBuffer(transferable)) return null;
  if (isSharedArrayBuffer(transferable)) throw dataCloneError('A SharedArrayBuffer cannot be transferred.');
  throw dataCloneError('Only ArrayBuffers and transferable platform objects (MessagePort) can be transferred.');
}

/**
 * StructuredSerializeWithTransfer steps 4–5: a data holder for every transferable.
 * The spec checks and transfers one entry at a time, so a detached entry late in the list throws
 * after earlier ones were already detached. Checking every entry first (5.1–5.2) and only then
 * transferring (5.3–5.6) throws the same DataCloneError but leaves nothing half-detached.
 */
export function transferAll(transferList: readonly object[], kinds: readonly TransferKind[]): TransferDataHolder[] {
  // 5.1–5.2. A detached ArrayBuffer or platform object (detached during step 2 by a getter, too).
  for (let i = 0; i < transferList.length; i++) {
    const transferable = transferList[i] as object;
    const kind = kinds[i] as TransferKind;
    const detached = kind === null ? isDetachedBuffer(transferable as ArrayBuffer) : kind.isDetached(transferable);
    if (detached) throw dataCloneError(`A detached ${kind === null ? 'ArrayBuffer' : kind.name} cannot be transferred.`);
  }
  // 5.3–5.6.
  const holders: TransferDataHolder[] = [];
  for (let i = 0; i < transferList.length; i++) {
    const transferable = transferList[i] as object;
    const kind = kinds[i] as TransferKind;
    holders[i] = kind === null
      ? transferArrayBuffer(transferable as ArrayBuffer)
      : { type: 'platform', interfaceName: kind.name, state: kind.transferSteps(transferable) };
  }
  return holders;
}

/** Step 5.4: record the data (and maxByteLength) then `? DetachArrayBuffer`. */
function transferArrayBuffer(ab: ArrayBuffer): TransferDataHolder {
  if (isResizableArrayBuffer(ab)) {
    const maxByteLength = arrayBufferMaxByteLength(ab);
    return { type: 'ResizableArrayBuffer', data: detachArrayBuffer(ab), maxByteLength };
  }
  return { type: 'ArrayBuffer', data: detachArrayBuffer(ab) };
}

/**
 * StructuredDeserializeWithTransfer step 3: the value of each data holder, in order: an
 * ArrayBuffer over the same data block, or the interface's transfer-receiving steps.
 * https://html.spec.whatwg.org/multipage/structured-data.html#structureddeserializewithtransfer
 */
export function receiveTransferDataHolders(holders: readonly TransferDataHolder[]): unknown[] {
  const values: unknown[] = [];
  for (let i = 0; i < holders.length; i++) values[i] = receiveTransferDataHolder(holders[i] as TransferDataHolder);
  return values;
}

function receiveTransferDataHolder(holder: TransferDataHolder): unknown {
  switch (holder.type) {
    case 'ArrayBuffer':
      return holder.data;
    case 'ResizableArrayBuffer':
      return asResizableArrayBuffer(holder.data, holder.maxByteLength);
    case 'platform': {
      // 3.3.1. An interface not exposed in targetRealm → DataCloneError.
      const iface = transferableInterfaceNamed(holder.interfaceName);
      if (iface === undefined) throw dataCloneError(`${holder.interfaceName} is not available in this realm.`);
      // 3.3.2–3. A new object, then its transfer-receiving steps.
      return iface.transferReceivingSteps(holder.state);
    }
    default:
      throw malformedHolder(holder);
  }
}

function malformedHolder(holder: never): EntangleError {
  const type: unknown = (holder as { type?: unknown }).type;
  const what = typeof type === 'string' ? JSON.stringify(type) : typeof type;
  return new EntangleError('ENTANGLE_DESERIALIZE_FAILED', `Unknown transfer data holder type ${what}.`);
}

/**
 * Releases the holders of a message that will never be deserialized (dropped at a closed port,
 * or doomed): each platform holder's interface `discard`s its state; ArrayBuffers need nothing.
 * Every holder is released even if one throws; the first exception is rethrown afterwards.
 */
export function discardTransferDataHolders(holders: readonly TransferDataHolder[]): void {
  let failure: { error: unknown } | undefined;
  for (const holder of holders) {
    if (holder.type !== 'platform') continue;
    try {
      transferableInterfaceNamed(holder.interfaceName)?.discard(holder.state);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}
