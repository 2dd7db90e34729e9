// A message crossing to another node: clone records ⇄ the routing layer's RoutedMessage (wire
// bytes plus the routing ports that travel with it). A transferred MessagePort is written as an
// empty platform holder; the i-th such holder is the i-th port of the RoutedMessage.

import { discardTransferDataHolders } from '../clone/index.ts';
import type { SerializedWithTransfer, TransferDataHolder } from '../clone/records.ts';
import type { PortId } from '../routing/ids.ts';
import type { RoutedMessage } from '../routing/node.ts';
import { DecodedMessage, type MessagePortData, type PortMessage } from '../spec/message-port-data.ts';
import { decode, decodeWithTransfer, encodeWithTransfer, encodeWithTransferAsync, needsAsyncEncoding } from '../wire/index.ts';
import type { RealmNode } from './realm-node.ts';

const NO_STATE = new Uint8Array(0);
const noState = (): Uint8Array => NO_STATE;

export interface EncodedMessage {
  /** The message; its payload is final unless `pending` is set. */
  readonly message: RoutedMessage;
  /** The payload, once the bytes of the Blobs and Files in the message have been read. */
  readonly pending: Promise<Uint8Array> | null;
}

/**
 * Records → bytes for another node. The ports in the message leave this node first (routeOut);
 * then the records are encoded; a message with Blobs or Files is encoded once their bytes are read.
 * Throws DataCloneError only for what cannot leave the process at all (SharedArrayBuffer).
 */
export function encodeRouted(realm: RealmNode, message: SerializedWithTransfer): EncodedMessage {
  const ports = routePorts(realm, message.transferDataHolders);
  try {
    return { message: { payload: encodeWithTransfer(message, noState), ports }, pending: null };
  } catch (error) {
    if (!needsAsyncEncoding(error)) {
      for (const id of ports) realm.node.closePort(id);
      throw error;
    }
    return { message: { payload: NO_STATE, ports }, pending: encodeWithTransferAsync(message, noState) };
  }
}

function routePorts(realm: RealmNode, holders: readonly TransferDataHolder[]): PortId[] {
  const ports: PortId[] = [];
  for (const holder of holders) {
    if (holder.type === 'platform') ports.push(realm.routeOut(holder.state as MessagePortData));
  }
  return ports;
}

/**
 * Bytes from another node → records, binding each arriving routing port to a new port data; a
 * message with nothing transferred (an empty holder table, no ports) straight to its value.
 * Null when the bytes are not a valid message (the task fires messageerror): the ports that came
 * with it are closed, so their peers learn.
 */
export function decodeRouted(realm: RealmNode, message: RoutedMessage): PortMessage | null {
  const { ports, payload } = message;
  // [version][holder count]…: a count of 0 is the byte 0.
  if (ports.length === 0 && payload.length > 1 && payload[1] === 0) {
    try {
      return new DecodedMessage(decode(payload));
    } catch {
      return null;
    }
  }
  let next = 0;
  const bound: MessagePortData[] = [];
  let decoded: SerializedWithTransfer;
  try {
    decoded = decodeWithTransfer(payload, (interfaceName, state) => {
      if (interfaceName !== 'MessagePort' || state.length !== 0 || next >= ports.length) {
        throw new TypeError('Not a port holder of this message.');
      }
      const data = realm.bindIncoming(ports[next++]!);
      bound.push(data);
      return data;
    });
    if (next !== ports.length) throw new TypeError('The message does not account for every port that came with it.');
  } catch {
    discardTransferDataHolders(bound.map((data) => ({ type: 'platform', interfaceName: 'MessagePort', state: data }) as const));
    for (let i = next; i < ports.length; i++) realm.node.closePort(ports[i]!);
    return null;
  }
  return decoded;
}
