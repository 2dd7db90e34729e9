// The tour (`npm start`): one MessagePort API across Node boundaries — a worker thread, a child
// process, a WebSocket peer — then a port forwarded across two hops, a peer killed, and the
// round-trip time of each. Only public API: 'entangle' and 'entangle/node'.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'entangle';
import { connect, Worker } from 'entangle/node';

let step = 'start-up';
const workers = [];
// Bounded time: a tour that stops making progress says where, and fails.
const watchdog = setTimeout(() => fail(new Error('no progress within 30 s')), 30_000);

function fail(error) {
  console.error(`\nThe tour failed during ${step}: ${error.message}`);
  for (const worker of workers) void worker.terminate(); // a process is sent SIGTERM at once
  process.exit(1);
}

/** A Worker running peer.js (remembered, so that a failing tour stops it too). */
function startPeer(type) {
  const worker = new Worker(new URL('./peer.js', import.meta.url), { type });
  workers.push(worker);
  return worker;
}

/** The next `n` messages at `port` (their data). */
function messages(port, n = 1) {
  return new Promise((resolve) => {
    const seen = [];
    port.addEventListener('message', function listener({ data }) {
      seen.push(data);
      if (seen.length < n) return;
      port.removeEventListener('message', listener);
      resolve(seen);
    });
    port.start();
  });
}

/** The seed's three steps, where `otherSide` is anything with postMessage: a Worker, a port. */
async function seed(otherSide) {
  // 1. Create a channel.
  const { port1, port2 } = new MessageChannel();
  // 2. Hand port2 to the other side.
  otherSide.postMessage({ hello: 'main' }, [port2]);
  // 3. Listen on port1: the answer comes back on it.
  const [greeting] = await messages(port1);
  return { port: port1, greeting };
}

/** ws-server.js in a plain child process (the WebSocket is its only link to us): its URL and the process. */
async function startWsServer() {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./ws-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill());
  const [url] = await once(createInterface({ input: child.stdout }), 'line');
  return { url, child };
}

/** Median and 95th percentile of `n` sequential ping-pongs on `port`, in ms (after 20 to warm up). */
async function roundTrips(port, n = 200) {
  const times = [];
  for (let i = -20; i < n; i++) {
    const start = performance.now();
    port.postMessage(i);
    await messages(port);
    if (i >= 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(n / 2)], p95: times[Math.floor(n * 0.95)] };
}

try {
  console.log('entangle tour: ports that stay entangled across Node boundaries\n');

  step = 'step 1';
  console.log("1. The seed's three steps (create a channel, post port2 to another context, listen on port1), across:");
  const thread = startPeer('thread');
  const child = startPeer('process');
  const wsServer = await startWsServer();
  const ws = await connect(wsServer.url);
  console.log(`   (the WebSocket peer: a listen() server at ${wsServer.url} in another process; this one connect()ed to it)`);
  const routes = [
    { name: 'worker thread', otherSide: thread },
    { name: 'child process', otherSide: child },
    { name: 'WebSocket peer', otherSide: ws },
  ];
  for (const route of routes) {
    const { port, greeting } = await seed(route.otherSide);
    route.port = port;
    console.log(`   ${route.name.padEnd(16)} answered: "${greeting}"`);
  }

  step = 'step 2';
  console.log('\n2. A port forwarded across two hops: main → the child process → a worker thread it starts');
  const { port1: far, port2 } = new MessageChannel();
  child.postMessage({ spawn: 'thread', name: 'main' }, [port2]);
  // Posted while port2 is on its way: they wait in its queue and travel with it.
  for (let i = 0; i < 100; i++) far.postMessage(i);
  const [greeting, ...echoes] = await messages(far, 101);
  console.log(`   answered: "${greeting}"`);
  if (!echoes.every(({ echo }, i) => echo === i)) throw new Error(`echoes out of order: ${echoes.map((e) => e.echo)}`);
  console.log('   100 messages posted while the port was moving: all answered, in order');

  step = 'step 3';
  console.log('\n3. A peer killed: SIGKILL a child process, and see `close` at the port entangled with its own');
  const doomed = startPeer('process');
  const { port: line } = await seed(doomed);
  line.postMessage('your pid?');
  const [{ pid }] = await messages(line);
  const closed = once(line, 'close');
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  await closed;
  console.log(`   process ${pid} killed; \`close\` fired here ${(performance.now() - killedAt).toFixed(1)} ms later`);
  console.log(`   (its socket closed; a peer that hangs instead is found by heartbeats within ~3 s)`);
  await doomed.terminate();

  step = 'step 4';
  console.log('\n4. Round-trip time per boundary (200 ping-pongs each)');
  routes.push({ name: 'two hops (process → thread)', port: far });
  console.log(`   ${'boundary'.padEnd(30)}${'median'.padStart(10)}${'p95'.padStart(10)}`);
  for (const { name, port } of routes) {
    const { median, p95 } = await roundTrips(port);
    console.log(`   ${name.padEnd(30)}${`${median.toFixed(3)} ms`.padStart(10)}${`${p95.toFixed(3)} ms`.padStart(10)}`);
  }

  step = 'clean-up';
  for (const { port } of routes) port.close();
  ws.close();
  await Promise.all([thread.terminate(), child.terminate()]);
  wsServer.child.kill();
  clearTimeout(watchdog);
  console.log('\nDone.');
  // Nothing is left open, so the process exits by itself; if something still held it, say so.
  setTimeout(() => fail(new Error('something still keeps the process alive')), 3000).unref();
} catch (error) {
  fail(error);
}
