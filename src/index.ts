// entangle: the web's Channel Messaging API, exact to the HTML Standard, for any runtime with
// EventTarget and Event.

export { MessageChannel } from './spec/message-channel.ts';
export { MessagePort } from './spec/message-port.ts';
export { MessageEvent, type MessageEventInit, type MessageEventSource } from './spec/message-event.ts';
export { structuredClone } from './spec/structured-clone.ts';
export { receiveMessageOnPort } from './spec/receive-message-on-port.ts';
export { EntangleError, type EntangleErrorCode } from './errors.ts';
