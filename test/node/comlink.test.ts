// comlink (4.4.2) over entangle ports across a thread and a process boundary. comlink takes any
// endpoint with postMessage / addEventListener / removeEventListener / start: an entangle
// MessagePort is one, and so is entangle/node's Worker. With entangle's polyfill installed
// ({ force: true }) on both sides, the MessageChannel comlink makes for Comlink.proxy and
// createEndpoint is entangle's, so its port crosses the boundary and stays entangled.
//
// The polyfill replaces this process's globals: they are put back after the tests (and
// `node --test` runs each test file in its own process anyway).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as Comlink from 'comlink';
import { MessageChannel, MessagePort } from 'entangle';
import { Worker } from 'entangle/node';
import { install } from 'entangle/polyfill';
import { next } from './helpers.ts';

interface Api {
  counter: number;
  readonly name: string;
  add(a: number, b: number): number;
  slowDouble(x: number): Promise<number>;
  fail(message: string): never;
  failLater(message: string): Promise<never>;
  callBack(callback: (i: number, pid: number) => number | Promise<number>, n: number): Promise<number[]>;
  sumAndMake(buffer: ArrayBuffer, n: number): { sum: number; received: number; made: ArrayBuffer };
  pid(): number;
  isEntangleChannel(): boolean;
}

const GLOBALS = ['MessageChannel', 'MessagePort', 'MessageEvent', 'structuredClone'] as const;
const hostGlobals = GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const);
install({ force: true });
after(() => {
  for (const [name, descriptor] of hostGlobals) {
    if (descriptor === undefined) delete (globalThis as Record<string, unknown>)[name];
    else Object.defineProperty(globalThis, name, descriptor);
  }
});

const fixture = new URL('./fixtures/comlink-api.js', import.meta.url);

test('comlink: the polyfill makes the MessageChannel comlink creates an entangle one', () => {
  assert.ok(new globalThis.MessageChannel().port1 instanceof MessagePort);
});

for (const type of ['process', 'thread'] as const) {
  test(`comlink over a ${type}: calls, errors, properties, a proxied callback, transfer, release`, async (t) => {
    const worker = new Worker(fixture, { type });
    try {
      // The seed's three steps, comlink's way: a channel, port2 to the worker (which exposes its API there), wrap port1.
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ expose: true }, [port2]);
      const remote = Comlink.wrap<Api>(port1 as unknown as Comlink.Endpoint);

      await t.test('a function with arguments and a return value; an async one', async () => {
        assert.equal(await remote.add(2, 3), 5);
        assert.equal(await remote.slowDouble(21), 42);
        // Many in flight at once: each answer finds its call.
        const sums = await Promise.all(Array.from({ length: 100 }, (_, i) => remote.add(i, i)));
        assert.deepEqual(sums, Array.from({ length: 100 }, (_, i) => 2 * i));
      });

      await t.test('an error thrown there is a rejected promise here, with its name and message', async () => {
        await assert.rejects(remote.fail('no such thing'), { name: 'TypeError', message: 'no such thing' });
        await assert.rejects(remote.failLater('too late'), { name: 'RangeError', message: 'too late' });
        assert.equal(await remote.add(1, 1), 2, 'still answering after errors');
      });

      await t.test('property get and set (the set is ordered before the next get)', async () => {
        assert.equal(await remote.name, 'comlink-api');
        assert.equal(await remote.counter, 0);
        // comlink's Remote type has no setters (its properties read as promises); the set itself is a SET message.
        (remote as unknown as { counter: number }).counter = 41;
        assert.equal(await remote.counter, 41);
      });

      await t.test('Comlink.proxy(callback): comlink makes a channel here, its port crosses to the worker, which calls back in order', async () => {
        const seen: number[] = [];
        const pids = new Set<number>();
        const callback = Comlink.proxy(async (i: number, pid: number) => {
          seen.push(i);
          pids.add(pid);
          return i * 10;
        });
        const answers = await remote.callBack(callback, 50);
        assert.deepEqual(seen, [...Array(50).keys()]);
        assert.deepEqual(answers, seen.map((i) => i * 10));
        const workerPid = await remote.pid();
        assert.deepEqual([...pids], [workerPid]);
        if (type === 'process') assert.notEqual(workerPid, process.pid, 'the callback ran across a process boundary');
      });

      await t.test('Comlink.transfer: an ArrayBuffer moves there (detached here), a new one moves back', async () => {
        const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
        const result = await remote.sumAndMake(Comlink.transfer(buffer, [buffer]), 16);
        assert.equal(buffer.byteLength, 0, 'detached after the transfer');
        assert.equal(result.sum, 10);
        assert.equal(result.received, 4);
        assert.ok(result.made instanceof ArrayBuffer);
        assert.deepEqual([...new Uint8Array(result.made)], new Array(16).fill(7));
      });

      await t.test('createEndpoint: a port made in the worker, wrapped here', async () => {
        const port = await remote[Comlink.createEndpoint]();
        const again = Comlink.wrap<Api>(port);
        assert.equal(await again.add(20, 22), 42);
        await again[Comlink.releaseProxy]();
      });

      await t.test('releaseProxy: the proxy refuses further calls and comlink closes the port', async () => {
        await remote[Comlink.releaseProxy]();
        assert.throws(() => remote.add(1, 2), /released/);
      });

      await t.test('wrap(worker) over parentPort; releasing it closes parentPort there, and the Worker sees close', async () => {
        const direct = Comlink.wrap<Api>(worker as unknown as Comlink.Endpoint);
        assert.equal(await direct.isEntangleChannel(), true, 'the worker made its channels with entangle too');
        assert.equal(await direct.add(40, 2), 42);
        const closed = next(worker, 'close', 5000);
        await direct[Comlink.releaseProxy]();
        await closed;
      });
    } finally {
      await worker.terminate();
    }
  });
}
