// The contenders of the Node-boundary benchmarks: each `start()`s a peer running
// bench/fixtures-node/peer.js across one boundary and resolves with a session
// { name, post(data, transfer?), handler, close() } for bench/node-drivers.js.

import { fork, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { FramedStream } from './fixtures-node/framing.js';

// entangle/node and ws are imported when a contender starts: bench/cases.js lists these cases
// beside the same-thread ones, whose processes should not load them.
const entangleNode = () => import('entangle/node');
const ws = () => import('ws');

const fixture = (name) => new URL(`./fixtures-node/${name}`, import.meta.url);

class Session {
  handler = () => {};
  constructor(name) {
    this.name = name;
  }
}

/** entangle's Worker, type 'thread' or 'process': worker.postMessage / worker.onmessage, as a user would. */
export function entangleWorker(type, name = 'entangle') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const { Worker } = await entangleNode();
      const worker = new Worker(fixture('entangle-worker.js'), { type });
      worker.onmessage = (event) => session.handler(event.data);
      worker.onerror = (event) => console.error(`${name} worker error:`, event.error ?? event.message);
      session.post = (data, transfer) => (transfer === undefined ? worker.postMessage(data) : worker.postMessage(data, transfer));
      session.close = () => worker.terminate();
      return session;
    },
  };
}

/** node:worker_threads' Worker and its built-in MessagePort. */
export function builtinThread(name = 'built-in') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const worker = new ThreadWorker(fixture('thread-builtin.js'));
      worker.on('message', (data) => session.handler(data));
      worker.on('error', (error) => console.error(`${name} worker error:`, error));
      session.post = (data, transfer) => (transfer === undefined ? worker.postMessage(data) : worker.postMessage(data, transfer));
      session.close = () => worker.terminate();
      return session;
    },
  };
}

/** child_process.fork's IPC channel with `serialization` 'json' or 'advanced'. */
export function forkIpc(serialization, name = `fork ${serialization}`) {
  return {
    name,
    async start() {
      const session = new Session(name);
      const child = fork(fileURLToPath(fixture('fork-child.js')), [], { serialization });
      child.on('message', (data) => session.handler(data));
      // Transfer lists mean nothing to process.send: the bytes are copied either way.
      session.post = (data) => child.send(data);
      session.close = () => killed(child);
      return session;
    },
  };
}

/** The raw baseline: length-prefixed frames, written once per turn, over a Unix socket pair to a child process. */
export function rawSocket(name = 'raw socket') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(fixture('raw-socket-child.js'))], {
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      });
      const socket = child.stdio[3];
      const stream = new FramedStream(socket, (data) => session.handler(data));
      session.post = (data) => stream.send(data);
      session.close = () => {
        socket.destroy();
        return killed(child);
      };
      return session;
    },
  };
}

/** entangle's listen() in a server process, connect() from here. */
export function entangleWs(name = 'entangle') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const { connect } = await entangleNode();
      const { child, url } = await server('ws-entangle-server.js');
      const port = await connect(url);
      port.onmessage = (event) => session.handler(event.data);
      session.post = (data, transfer) => (transfer === undefined ? port.postMessage(data) : port.postMessage(data, transfer));
      session.close = () => {
        port.close();
        return killed(child);
      };
      return session;
    },
  };
}

/** A raw `ws` client to a `ws` server process: one JSON text message per frame. */
export function rawWs(name = 'ws') {
  return {
    name,
    async start() {
      const session = new Session(name);
      const { WebSocket } = await ws();
      const { child, url } = await server('ws-raw-server.js');
      const socket = new WebSocket(url);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.on('message', (message) => session.handler(JSON.parse(message.toString())));
      session.post = (data) => socket.send(JSON.stringify(data));
      session.close = () => {
        socket.terminate();
        return killed(child);
      };
      return session;
    },
  };
}

/** Starts a server fixture and reads the URL it prints. */
async function server(file) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(fixture(file))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line).url));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before printing its URL`)));
  });
  return { child, url };
}

function killed(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  return exited;
}
