// Worker threads and child processes (entangle/node's Worker): the seed's three steps across
// each, ports handed on across several hops, peer death, errors, terminate. Imports entangle as
// a user does (the package's build), so the workers and this file share one entangle.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'entangle';
import { Worker, type ErrorEvent } from 'entangle/node';
import { agentUrl, collect, next, serverProcess } from './helpers.ts';

for (const type of ['thread', 'process'] as const) {
  test(`node ${type}: the seed's three steps — a channel, port2 posted to the worker, a listener here`, async () => {
    const worker = new Worker(agentUrl, { type });
    try {
      const { port1, port2 } = new MessageChannel();
      const answer = next(port1);
      port1.start();
      worker.postMessage({ cmd: 'hello', name: type }, [port2]);
      assert.equal((await answer).data, `hello, ${type}`);
      port1.close();
    } finally {
      await worker.terminate();
    }
  });

  test(`node ${type}: messages posted before the worker runs wait for it, in order; 1,000 round trips keep order`, async () => {
    const worker = new Worker(agentUrl, { type });
    try {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ cmd: 'serve' }, [port2]);
      const served = next(worker);
      for (let i = 0; i < 1000; i++) port1.postMessage(i);
      const echoes = await collect(port1, 1000);
      assert.deepEqual(echoes.map((m) => (m as { echo: number }).echo), [...Array(1000).keys()]);
      assert.deepEqual((await served).data, { served: 1 });
      port1.close();
    } finally {
      await worker.terminate();
    }
  });

  test(`node ${type}: the worker exits → ports whose peer lived there get close, and the Worker too`, async () => {
    const worker = new Worker(agentUrl, { type });
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ cmd: 'serve' }, [port2]);
    await next(worker);
    const closed = next(port1, 'close');
    const workerClosed = next(worker, 'close');
    const start = performance.now();
    worker.postMessage({ cmd: 'exit', code: 7 });
    await Promise.all([closed, workerClosed]);
    const ms = performance.now() - start;
    assert.equal(await worker.terminate(), 7);
    assert.ok(ms < 2000, `close after ${ms.toFixed(0)} ms`);
  });

  test(`node ${type}: an uncaught exception in the worker fires error at the Worker`, async () => {
    const worker = new Worker(agentUrl, { type });
    try {
      const error = next<ErrorEvent>(worker, 'error');
      worker.addEventListener('error', (event) => event.preventDefault());
      worker.postMessage({ cmd: 'throw', message: 'boom' });
      const event = await error;
      assert.match(event.message, /boom/);
    } finally {
      await worker.terminate();
    }
  });
}

/** A process worker serving the other end of a port, and its pid (to kill or stop it). */
async function servedProcessWorker(): Promise<{ worker: Worker; port: MessagePort; pid: number }> {
  const worker = new Worker(agentUrl, { type: 'process' });
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ cmd: 'serve' }, [port2]);
  await next(worker);
  worker.postMessage({ cmd: 'pid' });
  const { pid } = (await next(worker)).data as { pid: number };
  return { worker, port: port1, pid };
}

test('node process: SIGKILL → every port whose peer lived there gets close, well under a second', async () => {
  const { worker, port: port1, pid } = await servedProcessWorker();
  const closed = next(port1, 'close');
  const start = performance.now();
  process.kill(pid, 'SIGKILL');
  await closed;
  const ms = performance.now() - start;
  // The target is < 100 ms once the OS reports the socket closed; the bound here leaves room for a loaded CI machine.
  assert.ok(ms < 1000, `close ${ms.toFixed(0)} ms after SIGKILL`);
  await worker.terminate();
});

test('node process: a worker that stops responding (SIGSTOP) is lost within the heartbeat timeout', async () => {
  const { worker, port: port1, pid } = await servedProcessWorker();
  const closed = next(port1, 'close', 10_000);
  const start = performance.now();
  process.kill(pid, 'SIGSTOP');
  try {
    await closed;
    const ms = performance.now() - start;
    assert.ok(ms >= 1000 && ms < 6000, `close ${ms.toFixed(0)} ms after SIGSTOP (heartbeat timeout 3 s)`);
  } finally {
    process.kill(pid, 'SIGKILL');
    await worker.terminate();
  }
});

test('node: a port moved main → process A → thread inside A → over TCP to process B keeps order both ways', async () => {
  const server = await serverProcess('tcp://127.0.0.1:0');
  const a = new Worker(agentUrl, { type: 'process' });
  try {
    const { port1, port2 } = new MessageChannel();
    for (let i = 0; i < 100; i++) port1.postMessage(i);
    const echoes = collect(port1, 200);
    // A spawns a thread and hands it the port; the thread connects to B and hands it over.
    a.postMessage({ cmd: 'spawn', type: 'thread', next: 'connect', url: server.url }, [port2]);
    // Posted while the port is on its way through A and the thread.
    for (let i = 100; i < 200; i++) port1.postMessage(i);
    const all = (await echoes) as { echo: number; by: number }[];
    assert.deepEqual(all.map((m) => m.echo), [...Array(200).keys()], 'order kept while the port moved');
    assert.ok(all.every((m) => m.by === server.pid), 'answered by process B');
    // B dies: the port here learns, through the relays.
    const closed = next(port1, 'close');
    server.child.kill('SIGKILL');
    await closed;
  } finally {
    server.child.kill('SIGKILL');
    await a.terminate();
  }
});

test('node process: a worker process whose parent dies exits too, even with a worker of its own running', async () => {
  const parent = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/orphan-parent.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    createInterface({ input: parent.stdout! }).once('line', (line) => resolve(Number(line)));
    parent.once('exit', (code) => reject(new Error(`parent exited (${code}) before printing the worker's pid`)));
  });
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = performance.now() + 5000;
  while (alive() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const orphaned = alive();
  if (orphaned) process.kill(pid, 'SIGKILL');
  assert.equal(orphaned, false, 'the worker process outlived its parent');
});
