// Helpers for the NATS tests: Debian's nats-server on loopback with ports picked here (one server,
// or a 3-server cluster), config files in a temp dir, stopped by PID; mesh node processes
// (fixtures/node.js) driven by JSON lines on stdin and stdout.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export { next } from '../node/helpers.ts';

/** Why the NATS tests cannot run here, or null when nats-server is on the PATH. */
export function skipReason(): string | null {
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return 'nats-server is not installed (Debian: apt-get install nats-server)';
  return null;
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Users of the application account in every server config here. */
export const USER = { user: 'app', pass: 'app-secret' };

export interface NatsServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops it (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The server config: an application account APP (USER) that imports the system account's
 * client-disconnect notifications (what entangle/nats uses for presence; README), optionally a
 * cluster, optionally a small max_payload.
 */
export function serverConfig(options: { port: number; cluster?: { port: number; routes: number[] }; maxPayload?: number }): string {
  const lines = [
    `listen: 127.0.0.1:${options.port}`,
    'accounts {',
    '  SYS { users [{ user: sys, password: sys-secret }], exports [{ stream: "$SYS.ACCOUNT.*.DISCONNECT" }] }',
    `  APP {`,
    `    users [{ user: ${USER.user}, password: ${USER.pass} }]`,
    '    imports [{ stream: { account: SYS, subject: "$SYS.ACCOUNT.APP.DISCONNECT" } }]',
    '  }',
    '}',
    'system_account: SYS',
  ];
  if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);
  if (options.cluster !== undefined) {
    lines.push('cluster {', '  name: entangle-test', `  listen: 127.0.0.1:${options.cluster.port}`,
      `  routes [${options.cluster.routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`, '}');
  }
  return `${lines.join('\n')}\n`;
}

const dirs: string[] = [];

/** A nats-server with `config` (a serverConfig) listening on `port`; resolves once it accepts connections. */
export async function startServer(config: (port: number) => string, port?: number): Promise<NatsServer> {
  const chosen = port ?? await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'entangle-nats-'));
  dirs.push(dir);
  const file = join(dir, 'server.conf');
  writeFileSync(file, config(chosen));
  const child = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!await accepts(chosen)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on ${chosen}:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port: chosen,
    url: `nats://127.0.0.1:${chosen}`,
    pid: child.pid!,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
      await exited;
    },
  };
}

/** Three clustered servers; resolves once all accept clients and their routes had a moment to form. */
export async function startCluster(): Promise<NatsServer[]> {
  const client = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const servers = await Promise.all(client.map((port, i) => startServer(() => serverConfig({ port, cluster: { port: routes[i]!, routes: routes.filter((_, j) => j !== i) } }), port)));
  await new Promise((resolve) => setTimeout(resolve, 500));
  return servers;
}

/** Removes the config dirs (call after stopping the servers). */
export function cleanUp(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const nodeScript = new URL('./fixtures/node.js', import.meta.url).pathname;

/** A mesh node in its own process (fixtures/node.js). */
export interface NodeProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** What it printed first: { id } once joined, or { error } if join() failed. */
  readonly joined: { id?: string; error?: string };
  /** Sends a command; resolves with the next line it prints that has `reply === tag`. */
  ask(command: Record<string, unknown>, ms?: number): Promise<Record<string, unknown>>;
  /** The next line it prints with `event === name`. */
  next(event: string, ms?: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts fixtures/node.js with `options` (join options and a role); resolves once it printed whether it joined. */
export function startNode(options: Record<string, unknown>): Promise<NodeProcess> {
  const child = spawn(process.execPath, [nodeScript, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const lines: Record<string, unknown>[] = [];
  const waiting: { test: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const i = waiting.findIndex((w) => w.test(line));
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(line);
    else lines.push(line);
  });
  const wait = (test: (line: Record<string, unknown>) => boolean, what: string, ms: number): Promise<Record<string, unknown>> => {
    const i = lines.findIndex(test);
    if (i >= 0) return Promise.resolve(lines.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${child.pid}: no ${what} within ${ms} ms`)), ms);
      waiting.push({ test, resolve: (line) => {
        clearTimeout(timer);
        resolve(line);
      } });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`node ${child.pid} exited (${code}) before ${what}`));
      });
    });
  };
  let tags = 0;
  return wait((line) => 'joined' in line, 'join', 20_000).then((first) => ({
    pid: child.pid!,
    child,
    joined: first.joined as { id?: string; error?: string },
    ask(command, ms = 20_000) {
      const tag = ++tags;
      child.stdin!.write(`${JSON.stringify({ ...command, tag })}\n`);
      return wait((line) => line.reply === tag, `a reply to ${JSON.stringify(command)}`, ms);
    },
    next(event, ms = 20_000) {
      return wait((line) => line.event === event, `event ${event}`, ms);
    },
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  }));
}
