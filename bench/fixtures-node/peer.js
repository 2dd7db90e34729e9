// The far side of every Node-boundary benchmark (bench/node-*.js), whatever carries the messages:
// `serve({ post, listen })` gets a way to send and a way to be told of each message received.
//
// A string is a command from the driver: 'count:<n>' (count what follows, acknowledge every
// n-th message with the count so far, and describe the first one) or 'echo' (send back every
// message as it came); either resets the count and is answered with 'ready'. Anything else is a
// payload. The payloads are never strings, so telling the two apart costs one typeof.

import { isMainThread } from 'node:worker_threads';

export function serve({ post, listen }) {
  let echo = true;
  let count = 0;
  let ackEvery = 100;
  listen((data) => {
    if (typeof data === 'string') {
      const [command, n] = data.split(':');
      echo = command === 'echo';
      count = 0;
      ackEvery = Number(n) || 100;
      post('ready');
      return;
    }
    if (echo) {
      post(data);
      return;
    }
    count++;
    // The driver checks what arrived, so a broken transport cannot post a fast time.
    if (count === 1) post({ first: describe(data) });
    if (count % ackEvery === 0) post(count);
  });
}

/** What the driver needs to check a payload: bytes by their type, length and first bytes; anything else as it is. */
export function describe(data) {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { bytes: data instanceof ArrayBuffer ? 'ArrayBuffer' : data.constructor.name, byteLength: bytes.byteLength, head: [...bytes.subarray(0, 8)] };
  }
  return { value: data };
}

/**
 * A process peer stopped with SIGTERM exits normally, so that `--cpu-prof` (inherited through
 * execArgv) writes its profile. In a worker thread, signals are the main thread's: nothing to do.
 */
export function exitOnSigterm() {
  if (isMainThread) process.on('SIGTERM', () => process.exit(0));
}
