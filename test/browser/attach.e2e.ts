// attach() in real Chromium: the seed's three steps with entangle ports from a page into a
// cross-origin iframe, a web worker and a service worker; origins checked as window.postMessage
// checks them (checklist item 34).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openPage, skipReason, startWorld, type World } from './harness.ts';

type Entangle = typeof import('../../src/index.ts') & typeof import('../../src/browser/index.ts') & {
  serve(port: unknown, where: string): void;
  nextMessage(port: unknown): Promise<MessageEvent>;
};
declare global {
  interface Window {
    e: Entangle;
    attached?: boolean;
  }
}

const skip = skipReason();

describe('attach() in Chromium', { skip }, () => {
  let world: World;
  const errors: string[] = [];
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.close();
    assert.deepEqual(errors, [], 'no page errors');
  });

  async function pageWithIframe(frameOrigin: string, parentOriginForFrame: string): Promise<Page> {
    const context = await world.context();
    const page = await openPage(context, `${world.origins[0]}/page.html`, errors);
    await page.evaluate(([src]) => {
      const iframe = document.createElement('iframe');
      iframe.src = src!;
      document.body.append(iframe);
    }, [`${frameOrigin}/frame.html?parent=${encodeURIComponent(parentOriginForFrame)}`]);
    return page;
  }

  test('the seed\'s three steps from a page into a cross-origin iframe and a web worker, with entangle ports', async () => {
    const [a, b] = world.origins;
    const page = await pageWithIframe(b, a);
    const answers = await page.evaluate(async (frameOrigin) => {
      const { e } = window;
      const iframe = document.querySelector('iframe')!;
      const worker = new Worker('/worker.js', { type: 'module' });
      const seed = async (otherSide: MessagePort) => {
        // 1. Create a channel. 2. Hand port2 to the other side. 3. Listen on port1.
        const { port1, port2 } = new e.MessageChannel();
        otherSide.postMessage({ hello: 'page' }, [port2]);
        const greeting = (await e.nextMessage(port1)).data as string;
        // The port that moved keeps working: a round trip on it.
        port1.postMessage({ ping: 1 });
        const pong = (await e.nextMessage(port1)).data as { pong: number; where: string };
        return { greeting, pong, isEntangle: port1 instanceof e.MessagePort };
      };
      const [toFrame, toWorker] = await Promise.all([
        e.attach(iframe.contentWindow!, { targetOrigin: frameOrigin }),
        e.attach(worker),
      ]);
      return { frame: await seed(toFrame as unknown as MessagePort), worker: await seed(toWorker as unknown as MessagePort), stats: e.attachStats() };
    }, b);
    assert.deepEqual(answers.frame, { greeting: `hello, page — from iframe at ${b}`, pong: { pong: 1, where: `iframe at ${b}` }, isEntangle: true });
    assert.deepEqual(answers.worker, { greeting: 'hello, page — from web worker', pong: { pong: 1, where: 'web worker' }, isEntangle: true });
    assert.equal(answers.stats.wrongOrigin, 0);
    await page.close();
  });

  test('a popup on another origin and its opener', async () => {
    const [a, b] = world.origins;
    const context = await world.context();
    const page = await openPage(context, `${a}/page.html`, errors);
    const result = await page.evaluate(async ([popupOrigin, openerOrigin]) => {
      const { e } = window;
      const popup = window.open(`${popupOrigin}/frame.html?parent=${encodeURIComponent(openerOrigin!)}`, 'popup')!;
      const port = await e.attach(popup, { targetOrigin: popupOrigin! });
      const { port1, port2 } = new e.MessageChannel();
      port.postMessage({ hello: 'opener' }, [port2]);
      const greeting = (await e.nextMessage(port1)).data;
      popup.close();
      return greeting;
    }, [b, a]);
    assert.equal(result, `hello, opener — from popup at ${b}`);
    await page.close();
  });

  test('several iframes and several attach() calls on one target each get their own port, paired in order', async () => {
    const [a, b] = world.origins;
    const context = await world.context();
    const page = await openPage(context, `${a}/page.html`, errors);
    const result = await page.evaluate(async ([frameOrigin, parentOrigin]) => {
      const { e } = window;
      // The page attaches first, twice per iframe, before the iframes even exist.
      const frames = [0, 1, 2].map(() => {
        const iframe = document.createElement('iframe');
        document.body.append(iframe);
        return iframe;
      });
      const pending = frames.map((iframe) => [e.attach(iframe.contentWindow!, { targetOrigin: frameOrigin! }), e.attach(iframe.contentWindow!, { targetOrigin: frameOrigin! })]);
      for (const iframe of frames) iframe.src = `${frameOrigin}/frame.html?parent=${encodeURIComponent(parentOrigin!)}`;
      // Each iframe attaches once on load: the first attach() per iframe pairs with it. (The second
      // resolves at once if this side offered the link, or when the iframe attaches again; either
      // way its port reaches the iframe only through the iframe's second attach().)
      const first = await Promise.all(pending.map(([port]) => port!));
      const pongs = [];
      for (const port of first) {
        port.postMessage({ ping: 'x' });
        pongs.push(((await e.nextMessage(port)).data as { where: string }).where);
      }
      // Now each iframe attaches again: the second calls pair with those, over the same link.
      for (const iframe of frames) (iframe.contentWindow as Window).postMessage('attach-again', frameOrigin!);
      const second = await Promise.all(pending.map(([, port]) => port!));
      const secondPongs = [];
      for (const port of second) {
        port.postMessage({ ping: 'y' });
        secondPongs.push(((await e.nextMessage(port)).data as { pong: string }).pong);
      }
      return { pongs, secondPongs, distinct: new Set([...first, ...second]).size };
    }, [b, a]);
    assert.deepEqual(result.secondPongs, ['y', 'y', 'y']);
    assert.equal(result.distinct, 6);
    assert.deepEqual(result.pongs, [`iframe at ${b}`, `iframe at ${b}`, `iframe at ${b}`]);
    await page.close();
  });

  test('spec 34: attach messages from an unexpected origin are ignored and counted, never delivered', async () => {
    const [a, b] = world.origins;
    // The iframe is at b, but the page expects its frame at a: its hellos arrive from the wrong origin.
    const page = await pageWithIframe(b, a);
    const result = await page.evaluate(async (expected) => {
      const { e } = window;
      const iframe = document.querySelector('iframe')!;
      let attached = false;
      void e.attach(iframe.contentWindow!, { targetOrigin: expected }).then(() => (attached = true));
      const deadline = performance.now() + 5000;
      while (e.attachStats().wrongOrigin === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Time for a link to come up, had anything been delivered.
      await new Promise((r) => setTimeout(r, 500));
      return { attached, stats: e.attachStats() };
    }, a);
    assert.ok(result.stats.wrongOrigin >= 1, `counted: ${JSON.stringify(result.stats)}`);
    assert.equal(result.attached, false, 'the page\'s attach() did not link to the wrong-origin iframe');
    const frameAttached = await page.frames()[1]!.evaluate(() => window.attached);
    assert.equal(frameAttached, false, 'the page\'s hello, addressed to the expected origin, never reached the iframe');
    // A bad targetOrigin is the SyntaxError window.postMessage throws.
    const name = await page.evaluate(() => {
      try {
        void window.e.attach(window, { targetOrigin: 'not a url' });
        return 'no error';
      } catch (error) {
        return (error as Error).name;
      }
    });
    assert.equal(name, 'SyntaxError');
    await page.close();
  });

  test('forged attach messages from a frame nobody attached to are ignored and counted; the real link is unaffected', async () => {
    const [a, b] = world.origins;
    const page = await pageWithIframe(b, a);
    const result = await page.evaluate(async ([frameOrigin]) => {
      const { e } = window;
      const port = await e.attach(document.querySelector('iframe')!.contentWindow!, { targetOrigin: frameOrigin! });
      const before = e.attachStats();
      // Another frame of the same origin as the real one, which no attach() waits on.
      const hostile = document.createElement('iframe');
      hostile.src = `${frameOrigin}/hostile.html`;
      document.body.append(hostile);
      const deadline = performance.now() + 5000;
      while (e.attachStats().unknownSource - before.unknownSource < 3 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      port.postMessage({ ping: 'still here' });
      const pong = (await e.nextMessage(port)).data;
      return { before, after: e.attachStats(), pong };
    }, [b]);
    assert.equal(result.after.unknownSource - result.before.unknownSource, 3, JSON.stringify(result));
    assert.equal(result.after.wrongOrigin, 0);
    assert.deepEqual(result.pong, { pong: 'still here', where: `iframe at ${b}` });
    await page.close();
  });

  test('spec 28: a removed iframe says bye (close at once); a terminated worker is found by heartbeats', async (t) => {
    const [a, b] = world.origins;
    const page = await pageWithIframe(b, a);
    const result = await page.evaluate(async (frameOrigin) => {
      const { e } = window;
      const iframe = document.querySelector('iframe')!;
      const worker = new Worker('/worker.js', { type: 'module' });
      const [toFrame, toWorker] = await Promise.all([e.attach(iframe.contentWindow!, { targetOrigin: frameOrigin }), e.attach(worker)]);
      const closeAfter = (port: EventTarget, end: () => void) => new Promise<number>((resolve) => {
        port.addEventListener('close', () => resolve(performance.now() - start), { once: true });
        (port as unknown as { start(): void }).start();
        const start = performance.now();
        end();
      });
      // The iframe's document unloads: its pagehide closes its node, which says bye on its links.
      const frameMs = await closeAfter(toFrame, () => iframe.remove());
      // A terminated worker runs nothing more: only missed heartbeats tell.
      const workerMs = await closeAfter(toWorker, () => worker.terminate());
      return { frameMs, workerMs };
    }, b);
    t.diagnostic(`close after iframe.remove(): ${result.frameMs.toFixed(0)} ms; after worker.terminate(): ${result.workerMs.toFixed(0)} ms`);
    // Generous bounds for liveness: a bye is immediate; heartbeats time out after 3 s.
    assert.ok(result.frameMs < 2_000, `iframe: ${result.frameMs} ms`);
    assert.ok(result.workerMs < 10_000, `worker: ${result.workerMs} ms`);
    await page.close();
  });

  test('a page and its service worker exchange ports the same way (localhost is a secure context)', async () => {
    const context = await world.context();
    const page = await openPage(context, `${world.origins[0]}/page.html`, errors);
    const result = await page.evaluate(async () => {
      const { e } = window;
      const registration = await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' });
      await navigator.serviceWorker.ready;
      const sw = registration.active!;
      const link = await e.attach(sw);
      const { port1, port2 } = new e.MessageChannel();
      link.postMessage({ hello: 'page' }, [port2]);
      const greeting = (await e.nextMessage(port1)).data;
      // A second attach() from the same client: another port, on the same link.
      const again = await e.attach(sw);
      again.postMessage({ ping: 2 });
      const pong = (await e.nextMessage(again)).data;
      return { greeting, pong };
    });
    assert.deepEqual(result, { greeting: 'hello, page — from service worker', pong: { pong: 2, where: 'service worker' } });
    await page.close();
  });
});
