// Chromium's own Channel Messaging API under the names the spec tests import from
// `src/index.ts` (and `dataOf` from `src/spec/message-port.ts`), so that the same tests run
// against the browser. What only entangle has marks the test not applicable.

import { NotApplicableError } from './not-applicable.ts';

export const MessageChannel = globalThis.MessageChannel;
export const MessagePort = globalThis.MessagePort;
export const MessageEvent = globalThis.MessageEvent;
export const structuredClone = globalThis.structuredClone;

export function receiveMessageOnPort(_port: unknown): never {
  throw new NotApplicableError('receiveMessageOnPort is an entangle extension (named after Node\'s); Chromium has none');
}

export function dataOf(_port: unknown): never {
  throw new NotApplicableError('reads entangle\'s internal port state (dataOf), which a native port does not expose');
}
