// entangle/nats in three processes: this one joins a mesh as 'a', starts 'b' and 'c' (this same
// file, in child processes), opens a port to 'b', and hands 'b' one end of a fresh channel, which
// 'b' passes on to 'c'. The port keeps its order on the way, and once it has settled 'a' and 'c'
// talk directly. Run it with a nats-server of your own (NATS_URL) or let it start Debian's:
//
//   npm run build && node examples/nats/main.js            # starts nats-server on a free port
//   NATS_URL=nats://127.0.0.1:4222 node examples/nats/main.js
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'entangle';
import { connect, join } from 'entangle/nats';

const [role, url] = process.argv.slice(2);

if (role === 'b' || role === 'c') {
  // b passes every port it receives on to c; c answers on it, and leaves when its peer closes it.
  const mesh = await join({ servers: url, name: role });
  mesh.onconnect = ({ ports: [port] }) => {
    port.onmessage = async ({ data, ports }) => {
      for (const moving of ports) {
        if (role === 'b') {
          (await connect('c')).postMessage('take it', [moving]);
        } else {
          moving.onmessage = ({ data: n }) => moving.postMessage(`c got ${n} (pid ${process.pid})`);
          moving.onclose = () => mesh.close();
        }
      }
      if (data === 'bye') await mesh.close();
    };
  };
  process.stdout.write('ready\n');
} else {
  const { url: natsUrl, stop } = await natsServer();
  const children = ['b', 'c'].map((name) => spawn(process.execPath, [fileURLToPath(import.meta.url), name, natsUrl], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await Promise.all(children.map((child) => new Promise((resolve) => child.stdout.once('data', resolve))));
  const mesh = await join({ servers: natsUrl, name: 'a' });
  const toB = await mesh.connect('b');
  const { port1, port2 } = new MessageChannel();
  toB.postMessage('pass this on', [port2]);
  const answers = [];
  const done = new Promise((resolve) => {
    port1.onmessage = ({ data }) => answers.push(data) === 3 && resolve();
  });
  for (let n = 1; n <= 3; n++) port1.postMessage(n); // posted while the port is still on its way
  await done;
  console.log(answers.join('\n'));
  const t0 = performance.now();
  const echoed = new Promise((resolve) => (port1.onmessage = resolve));
  port1.postMessage(4);
  await echoed;
  console.log(`round trip a → c → a, one hop each way now: ${((performance.now() - t0) * 1000).toFixed(0)} µs`);
  const stats = mesh.stats();
  console.log(`a's links over NATS: ${stats.peers} peers (b and c), ${stats.messagesSent} NATS messages sent`);
  toB.postMessage('bye');
  port1.close();
  await mesh.close();
  await Promise.all(children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    setTimeout(() => child.kill(), 2000).unref();
  })));
  stop();
}

/** NATS_URL, or Debian's nats-server on a free loopback port (stopped by `stop`). */
async function natsServer() {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: () => {} };
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: chosen } = probe.address();
      probe.close(() => resolve(chosen));
    });
  });
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  server.once('error', () => {
    console.error('nats-server not found: install it (Debian: apt-get install nats-server) or set NATS_URL.');
    process.exit(1);
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { url: `nats://127.0.0.1:${port}`, stop: () => server.kill() };
}
