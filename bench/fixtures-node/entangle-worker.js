// The peer inside an entangle Worker (type 'thread' or 'process'): entangle's parentPort.
import { parentPort } from 'entangle/node';
import { exitOnSigterm, serve } from './peer.js';

exitOnSigterm();

serve({
  post: (data) => parentPort.postMessage(data),
  listen: (deliver) => parentPort.addEventListener('message', (event) => deliver(event.data)),
});
