// npm run demo: the tour's workers (examples/tour/peer.js in a worker thread and in a child
// process) behind a listen() server, and a page that shows the live topology — nodes, the ports
// between them, messages per second on each — and sends a message through a port that crosses
// the browser, a web worker and a Node process. Only public API: entangle, entangle/node.
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'entangle';
import { listen, Worker } from 'entangle/node';
import { serveStatic } from './static.js';

const peer = new URL('../examples/tour/peer.js', import.meta.url);
const thread = new Worker(peer, { type: 'thread' });
const child = new Worker(peer, { type: 'process' });

const server = await listen({ url: 'ws://127.0.0.1:0' });
server.onconnect = ({ ports: [page] }) => {
  // Each page gets a port to the thread and one to the child process: the seed's steps, with the tour's peers.
  for (const [name, worker] of [['worker thread', thread], ['child process', child]]) {
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ hello: 'the demo page' }, [port2]);
    page.postMessage({ port: name }, [port1]);
  }
  // The server's own part: answer the page's pings with this process's id.
  page.onmessage = ({ data }) => page.postMessage({ pong: data.ping, pid: process.pid });
};

const root = fileURLToPath(new URL('../', import.meta.url));
const web = await serveStatic({
  routes: { '/dist/': `${root}dist/bundle`, '/': `${root}demo/page` },
  port: Number(process.env.PORT ?? 8080),
});
console.log(`${web.origin}/?ws=${encodeURIComponent(server.url)}`);
console.error(`entangle demo: open the URL above (Node server pid ${process.pid}); Ctrl-C stops it.`);

async function stop() {
  await Promise.all([thread.terminate(), child.terminate()]);
  await server.close();
  await web.close();
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
