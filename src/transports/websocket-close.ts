// What a WebSocket's close code means to a link, for both WebSocket transports (ws.ts in Node,
// browser-websocket.ts in a browser). RFC 6455 §7.4.1.

import { EntangleError } from '../errors.ts';

export const NORMAL = 1000;
export const GOING_AWAY = 1001;
export const UNSUPPORTED_DATA = 1003;
/** A closing handshake whose close frame carried no code (what a bare close() sends): clean. */
export const NO_STATUS = 1005;
export const MESSAGE_TOO_BIG = 1009;
export const INTERNAL_ERROR = 1011;

/**
 * Why a WebSocket that closed with `code` ended the transport: undefined for a clean close (1000,
 * 1001, 1005), FRAME_TOO_LARGE for 1009 (the peer refused a message over its maxPayload),
 * LINK_CLOSED for anything else (1006, an end without a close frame, among them).
 */
export function closeCodeError(transport: string, code: number): EntangleError | undefined {
  if (code === MESSAGE_TOO_BIG) return new EntangleError('ENTANGLE_LINK_FRAME_TOO_LARGE', `${transport}: closed with 1009: a message was over the receiver's maxPayload.`);
  if (code === NORMAL || code === GOING_AWAY || code === NO_STATUS) return undefined;
  return new EntangleError('ENTANGLE_LINK_CLOSED', `${transport}: the WebSocket closed with code ${code}.`);
}
