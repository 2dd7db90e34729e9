// The peer in a child_process.fork child: Node's IPC channel (the parent picks 'json' or 'advanced').
import { exitOnSigterm, serve } from './peer.js';

exitOnSigterm();

serve({
  post: (data) => process.send(data),
  listen: (deliver) => process.on('message', deliver),
});
