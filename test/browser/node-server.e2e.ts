// A page connects to a Node listen() server over the browser's WebSocket; ports that lead to the
// server and to a Node worker thread on it are transferred into a cross-origin iframe and a web
// worker and keep working there; closing the tab fires `close` on the Node side.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'entangle';
// From the build, as users get it (a Worker runs the built worker-main.js).
import { listen, Worker, type Server } from 'entangle/node';
import { openPage, skipReason, startWorld, type World } from './harness.ts';

const skip = skipReason();
const threadUrl = new URL('./fixtures/node-thread.js', import.meta.url);

interface Page {
  e: typeof import('../../src/index.ts') & typeof import('../../src/browser/index.ts') & { nextMessage(port: unknown): Promise<MessageEvent> };
}

describe('a page, its iframe and its worker with a Node server', { skip }, () => {
  let world: World;
  let server: Server;
  const workers: Worker[] = [];
  /** The Node side's reports: the thread's port closed; the page's first port closed. */
  const threadClosed: Array<Promise<{ closed: true; received: number; inOrder: boolean }>> = [];
  let pagePortClosed: Promise<void> = Promise.resolve();
  const errors: string[] = [];

  before(async () => {
    world = await startWorld();
    server = await listen({ url: 'ws://127.0.0.1:0' });
    server.onconnect = (event: MessageEvent) => {
      const page = event.ports[0] as unknown as MessagePort;
      pagePortClosed = new Promise((resolve) => page.addEventListener('close', () => resolve(), { once: true }));
      page.onmessage = ({ data }: { data: { want: string } }) => {
        const { port1, port2 } = new MessageChannel();
        if (data.want === 'server') {
          // A port served right here, in the server's process.
          port1.onmessage = ({ data: ping }: { data: { ping: unknown } }) => port1.postMessage({ pong: ping.ping, where: `node server ${process.pid}` });
        } else if (data.want === 'thread') {
          // A port to a Node worker thread of this server.
          const worker = new Worker(threadUrl, { type: 'thread' });
          workers.push(worker);
          threadClosed.push(new Promise((resolve) => worker.addEventListener('message', (event) => resolve((event as MessageEvent).data), { once: true })));
          worker.postMessage(null, [port1]);
        }
        page.postMessage(null, [port2]);
      };
    };
  });
  after(async () => {
    for (const worker of workers) await worker.terminate();
    await server?.close();
    await world?.close();
    assert.deepEqual(errors, [], 'no page errors');
  });

  test('connect(): a token the server checks; a bad URL, a refused connection and a wrong token are typed errors', async () => {
    const guarded = await listen({ url: 'ws://127.0.0.1:0', token: 'sesame' });
    guarded.onconnect = (event: MessageEvent) => {
      const port = event.ports[0] as unknown as MessagePort;
      port.onmessage = ({ data }: { data: unknown }) => port.postMessage({ echo: data });
    };
    // A port nobody listens on: the guarded server's, once closed.
    const spare = await listen({ url: 'ws://127.0.0.1:0' });
    const refusedUrl = spare.url;
    await spare.close();
    try {
      const context = await world.context();
      // Chromium logs the refused WebSocket on the console: that one is expected here.
      const logged: string[] = [];
      const page = await openPage(context, `${world.origins[0]}/page.html`, logged);
      const result = await page.evaluate(async ([url, refused]) => {
        const { e } = window as unknown as Page;
        const code = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: { code?: string; name: string }) => error.code ?? error.name);
        const port = await e.connect(url!, { token: 'sesame' });
        port.postMessage('hi');
        const echo = (await e.nextMessage(port)).data;
        return {
          echo,
          http: await code(e.connect('http://127.0.0.1:1/')),
          garbage: await code(e.connect('ws://[not a host')),
          refused: await code(e.connect(refused!, { timeoutMs: 5_000 })),
          wrongToken: await code(e.connect(url!, { token: 'open up' })),
          noToken: await code(e.connect(url!)),
        };
      }, [guarded.url, refusedUrl]);
      assert.deepEqual(result, {
        echo: { echo: 'hi' },
        http: 'ENTANGLE_BAD_URL',
        garbage: 'ENTANGLE_BAD_URL',
        refused: 'ENTANGLE_CONNECT_FAILED',
        wrongToken: 'ENTANGLE_LINK_AUTH',
        noToken: 'ENTANGLE_LINK_AUTH',
      });
      assert.equal(guarded.stats().refused.ENTANGLE_LINK_AUTH, 2);
      assert.deepEqual(logged.filter((line) => !/WebSocket connection to .* failed/.test(line)), []);
      await page.close();
    } finally {
      await guarded.close();
    }
  });

  test('ports to the Node server and to its worker thread work from a cross-origin iframe and a web worker; 10,000 ordered messages; closing the tab closes them on the Node side', async (t) => {
    const [a, b] = world.origins;
    const context = await world.context();
    const page = await openPage(context, `${a}/page.html`, errors);
    const result = await page.evaluate(async ([url, frameOrigin, parentOrigin]) => {
      const { e } = window as unknown as Page;
      const iframe = document.createElement('iframe');
      iframe.src = `${frameOrigin}/frame.html?parent=${encodeURIComponent(parentOrigin!)}`;
      document.body.append(iframe);
      // The browser's Worker (this file's Worker is entangle/node's).
      const worker = new globalThis.Worker('/worker.js', { type: 'module' });
      const server = await e.connect(url!);
      const ask = async (want: string) => {
        server.postMessage({ want });
        return (await e.nextMessage(server)).ports[0]!;
      };
      const toServer = await ask('server');
      const toThread = await ask('thread');
      const [frameLink, workerLink] = await Promise.all([e.attach(iframe.contentWindow!, { targetOrigin: frameOrigin! }), e.attach(worker)]);
      frameLink.postMessage({ call: 'from the iframe' }, [toServer]);
      workerLink.postMessage({ exchange: 10_000 }, [toThread]);
      const [fromFrame, fromWorker] = await Promise.all([e.nextMessage(frameLink), e.nextMessage(workerLink)]);
      return { fromFrame: fromFrame.data, fromWorker: fromWorker.data };
    }, [server.url, b, a]);
    assert.deepEqual(result.fromFrame, { via: `iframe at ${b}`, answer: { pong: 'from the iframe', where: `node server ${process.pid}` } });
    assert.equal(result.fromWorker.exchanged, 10_000);
    assert.equal(result.fromWorker.inOrder, true, 'the web worker got the 10,000 echoes in order');
    t.diagnostic(`10,000 messages web worker → page → Node server → Node thread and back: ${result.fromWorker.ms.toFixed(0)} ms`);

    const closedAt = performance.now();
    await page.close();
    const [report] = await Promise.all([threadClosed[0]!, pagePortClosed]);
    const closeMs = performance.now() - closedAt;
    assert.deepEqual(report, { closed: true, received: 10_000, inOrder: true });
    t.diagnostic(`tab closed → \`close\` at the Node thread's port after ${closeMs.toFixed(0)} ms`);
    // Generous: a lost WebSocket or a bye is immediate; missed heartbeats take 3 s.
    assert.ok(closeMs < 10_000, `close took ${closeMs} ms`);
  });
});
