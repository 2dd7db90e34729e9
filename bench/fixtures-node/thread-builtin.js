// The peer inside a node:worker_threads Worker: Node's built-in parentPort (a MessagePort).
import { parentPort } from 'node:worker_threads';
import { serve } from './peer.js';

serve({
  post: (data) => parentPort.postMessage(data),
  listen: (deliver) => parentPort.on('message', deliver),
});
