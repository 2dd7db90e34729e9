// Helpers for the node-boundary tests: the fixture paths, a server in its own process, and
// waiting for events with a deadline (a hang fails the test with a message, not a timeout).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const agentUrl = new URL('./fixtures/agent.js', import.meta.url);
export const serverScript = new URL('./fixtures/server.js', import.meta.url);

/** The next `type` event at `target`, or a rejection after `ms`. */
export function next<T = MessageEvent>(target: EventTarget, type = 'message', ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    const listener = (event: Event): void => {
      clearTimeout(timer);
      resolve(event as T);
    };
    target.addEventListener(type, listener, { once: true });
  });
}

/** Data of the next `n` messages at `port` (started). */
export function collect(port: EventTarget & { start?(): void }, n: number, ms = 20_000): Promise<unknown[]> {
  const seen: unknown[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${seen.length} of ${n} messages within ${ms} ms`)), ms);
    port.addEventListener('message', (event) => {
      seen.push((event as MessageEvent).data);
      if (seen.length === n) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    port.start?.();
  });
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once it is gone. */
  readonly exited: Promise<number | string>;
}

/** test/node/fixtures/server.js in its own process, listening on `url`. */
export function serverProcess(url: string, token?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [new URL(serverScript).pathname, url, ...(token === undefined ? [] : [token])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      const { url: real, pid } = JSON.parse(line) as { url: string; pid: number };
      resolve({ url: real, pid, child, exited });
    });
    void exited.then((code) => reject(new Error(`server process exited (${code}) before listening`)));
  });
}

/** A throwaway self-signed certificate for localhost (made with openssl at test time), or null if there is no openssl. */
export function selfSignedCert(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'entangle-cert-'));
  try {
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    if (made.error !== undefined || made.status !== 0) return null;
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Unix socket path of its own in the temp directory. */
export function socketPath(): string {
  return join(tmpdir(), `entangle-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
}
