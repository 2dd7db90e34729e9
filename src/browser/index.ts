// entangle/browser: a page or a worker as a node — connect() to a Node listen() server over
// WebSocket, attach() to another browsing context or worker over postMessage — so that entangle
// ports can be handed to iframes, popups and workers and still lead where they led.

export { attach, attachStats, type AttachOptions, type AttachStats } from './attach.ts';
export { connect, type ConnectOptions } from './connect.ts';
