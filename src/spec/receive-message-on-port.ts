// receiveMessageOnPort(port), an extension named after Node's worker_threads function: take the
// oldest queued message synchronously, whether or not the port was started.

import { structuredDeserializeWithTransfer } from '../clone/index.ts';
import { dataCloneError, typeError } from '../errors.ts';
import { DecodedMessage, UNDECODABLE } from './message-port-data.ts';
import { dataOf, isMessagePort, type MessagePort } from './message-port.ts';

/** `{ message }` for the oldest queued message, or undefined when none is queued (or the port is detached). */
export function receiveMessageOnPort(port: MessagePort): { message: unknown } | undefined {
  if (!isMessagePort(port)) throw typeError('The "port" argument must be a MessagePort instance');
  const data = dataOf(port);
  if (data === null) return undefined;
  // Its task, if queued, becomes a no-op (rather than dispatching the next message early).
  const serialized = data.take();
  if (serialized === undefined) return undefined;
  // Bytes from another node that could not be decoded: Node's function throws when it cannot deserialize.
  if (serialized === UNDECODABLE) throw dataCloneError('The message could not be decoded.');
  if (serialized instanceof DecodedMessage) return { message: serialized.value };
  return { message: structuredDeserializeWithTransfer(serialized).deserialized };
}
