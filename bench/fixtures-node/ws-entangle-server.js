// The peer behind entangle's listen(): prints its URL as one JSON line, then serves each port a
// connect() opens.
import { listen } from 'entangle/node';
import { exitOnSigterm, serve } from './peer.js';

exitOnSigterm();

const server = await listen({ url: 'ws://127.0.0.1:0' });
server.addEventListener('connect', ({ ports: [port] }) => {
  serve({
    post: (data) => port.postMessage(data),
    listen: (deliver) => {
      port.addEventListener('message', (event) => deliver(event.data));
      port.start();
    },
  });
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
