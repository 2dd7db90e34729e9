// The tour's other side: what a worker thread, a child process or a WebSocket server does with
// every port it is given — answer on it.
import { isMainThread, threadId } from 'node:worker_threads';
import { Worker } from 'entangle/node';

export const me = isMainThread ? `process ${process.pid}` : `thread ${threadId} in process ${process.pid}`;

export function serve(port) {
  port.onmessage = ({ data, ports }) => {
    if (data?.hello !== undefined) {
      // The seed's last step, on this side: answer on the port that came with the message.
      const [reply] = ports;
      serve(reply);
      reply.postMessage(`hello, ${data.hello} — from ${me}`);
    } else if (data?.spawn !== undefined) {
      // One more hop: hand the port on to a worker of our own.
      const worker = new Worker(new URL('./peer.js', import.meta.url), { type: data.spawn });
      worker.postMessage({ hello: data.name }, ports);
    } else {
      // Anything else is a ping: echo it, with who answered.
      port.postMessage({ echo: data, pid: process.pid });
    }
  };
}
