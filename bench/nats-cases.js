// Benchmarks across NATS (issue 7): entangle ports over a mesh (entangle/nats) between this
// process and a peer process, against what a user of NATS would write instead: raw core NATS
// publish → subscribe (one JSON message per publish) for one-way throughput, and request/reply
// for round trips. The case starts its own nats-server on loopback (Debian's nats-server must be
// on the PATH) and stops it when the case's process exits. Drivers: bench/node-drivers.js; peers:
// bench/fixtures-nats/.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { checkSmall, roundTripCase, SMALL, throughputCase } from './node-cases.js';
import { smallObject } from './fixtures.js';

const fixture = (name) => fileURLToPath(new URL(`./fixtures-nats/${name}`, import.meta.url));
// Imported when a contender starts: the other cases' processes should not load the NATS client.
const natsClient = () => import('@nats-io/transport-node');

let server = null;

/** This process's nats-server (one per case process), started on first use and killed on exit. */
function natsServer() {
  server ??= (async () => {
    const port = await new Promise((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const { port: chosen } = probe.address();
        probe.close(() => resolve(chosen));
      });
    });
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    child.once('error', (error) => console.error(`nats-server: ${error.message} (is Debian's nats-server installed?)`));
    // Not waited for: the case's process exits when its sessions are closed, and takes the server with it.
    child.unref();
    process.once('exit', () => child.kill('SIGKILL'));
    const { connect } = await natsClient();
    const url = `nats://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        const nc = await connect({ servers: url, reconnect: false });
        await nc.close();
        return url;
      } catch (error) {
        if (i >= 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  })();
  return server;
}

class Session {
  handler = () => {};
  constructor(name) {
    this.name = name;
  }
}

/** A peer process; resolves once it printed that it is ready. */
async function peer(file, url, subject) {
  // With this process's flags (--cpu-prof reaches the peer; it exits on SIGTERM so that its profile is written).
  const child = spawn(process.execPath, [...process.execArgv, fixture(file), url, subject], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
  });
  return child;
}

function killed(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  return exited;
}

/** entangle: this process joins a mesh, connect(name)s to the peer's node, and posts on the port. */
function entangleNats(name = 'entangle') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const url = await natsServer();
      const { join } = await import('entangle/nats');
      const mesh = await join({ servers: url, presenceSubject: null });
      const peerName = `bench-${process.pid}-${Math.random().toString(36).slice(2)}`;
      const child = await peer('entangle-peer.js', url, peerName);
      const port = await mesh.connect(peerName);
      port.onmessage = (event) => session.handler(event.data);
      session.post = (data) => port.postMessage(data);
      session.close = async () => {
        port.close();
        await mesh.close();
        return killed(child);
      };
      return session;
    },
  };
}

/** Raw core NATS: every post is one publish of JSON; the peer publishes its answers on another subject. */
function rawPubSub(name = 'NATS pub/sub') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const url = await natsServer();
      const { connect } = await natsClient();
      const subject = `bench.raw.${process.pid}.${Math.random().toString(36).slice(2)}`;
      const nc = await connect({ servers: url });
      nc.subscribe(`${subject}.out`, { callback: (_error, msg) => session.handler(msg.json()) });
      await nc.flush();
      const child = await peer('raw-peer.js', url, subject);
      const encoder = new TextEncoder();
      session.post = (data) => nc.publish(`${subject}.in`, encoder.encode(JSON.stringify(data)));
      session.close = async () => {
        await nc.close();
        return killed(child);
      };
      return session;
    },
  };
}

/** Raw core NATS request/reply: each post is a request; its reply is the echo. */
function rawRequestReply(name = 'NATS request/reply') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const url = await natsServer();
      const { connect } = await natsClient();
      const subject = `bench.rr.${process.pid}.${Math.random().toString(36).slice(2)}`;
      const nc = await connect({ servers: url });
      const child = await peer('raw-peer.js', url, subject);
      const encoder = new TextEncoder();
      session.post = (data) => {
        nc.request(`${subject}.rr`, encoder.encode(JSON.stringify(data)), { timeout: 10_000 }).then(
          (reply) => session.handler(reply.json()),
          (error) => console.error(`${name}: ${error.message}`),
        );
      };
      session.close = async () => {
        await nc.close();
        return killed(child);
      };
      return session;
    },
  };
}

export const natsCases = [
  throughputCase({
    id: 'nats-small',
    title: 'NATS · small object one-way',
    contenders: [entangleNats(), rawPubSub()],
    make: smallObject,
    check: checkSmall,
    flow: SMALL,
    goals: { 'NATS pub/sub': { atLeast: 0.8 } },
  }),
  roundTripCase({
    id: 'nats-rtt',
    title: 'NATS · round trip',
    contenders: [entangleNats(), rawRequestReply()],
    goals: { 'NATS request/reply': { atMost: 1.2 } },
    p99Against: 'NATS request/reply',
  }),
];
