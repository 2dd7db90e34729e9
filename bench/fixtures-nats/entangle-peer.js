// The peer behind the entangle/nats benchmarks: joins the mesh at argv[2] as argv[3], prints a
// line when ready, and serves each port a node connect()s with.
import { join } from 'entangle/nats';
import { exitOnSigterm, serve } from '../fixtures-node/peer.js';

exitOnSigterm();

const mesh = await join({ servers: process.argv[2], name: process.argv[3], presenceSubject: null });
mesh.addEventListener('connect', ({ ports: [port] }) => {
  serve({
    post: (data) => port.postMessage(data),
    listen: (deliver) => {
      port.addEventListener('message', (event) => deliver(event.data));
      port.start();
    },
  });
});
process.stdout.write('ready\n');
