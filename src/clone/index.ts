// The structured clone API that spec/ (MessagePort, structuredClone) builds on.
// https://html.spec.whatwg.org/multipage/structured-data.html

export {
  serializeInto, structuredSerialize, structuredSerializeInternal, structuredSerializeWithTransfer, type Memory, type SerializeMemory,
} from './serialize.ts';
export { RecordSink, type SerializeSink } from './sink.ts';
export { structuredDeserialize, structuredDeserializeWithTransfer } from './deserialize.ts';
export { discardTransferDataHolders } from './transfer.ts';
export { detachArrayBuffer, isDetachedBuffer } from './array-buffer.ts';
export {
  registerTransferable, transferableInterfaceNamed, transferableInterfaceOf, type TransferableInterface,
} from './transferables.ts';
export type {
  DeserializedWithTransfer, ErrorName, ObjectRecord, Primitive, PropertyRecord, Serialized, SerializedWithTransfer,
  TransferDataHolder, TypedArrayName,
} from './records.ts';
