// Backpressure across a process boundary: this process posts 1 GiB (16,384 × 64 KiB) to a slow
// consumer in a child process over an entangle port, and waits for `bufferedamountlow` whenever
// `bufferedAmount` is over a high-water mark. bufferedAmount must rise while the consumer lags,
// every byte must arrive in order, and this process's memory must stay bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'entangle';
import { Worker } from 'entangle/node';
import { next } from './helpers.ts';

const consumerUrl = new URL('./fixtures/slow-consumer.js', import.meta.url);
const CHUNK = 64 * 1024;
const COUNT = 16_384; // 1 GiB
const HIGH = 8 * 1024 * 1024;
const LOW = 2 * 1024 * 1024;
/** The consumer's busy work per message (16,384 × 0.1 ms ≈ 1.6 s, on top of decoding each message): the producer ends up waiting for it. */
const BUSY_MS = 0.1;
const RSS_BOUND = 300 * 1024 * 1024;

interface Report {
  readonly received: number;
  readonly bytes: number;
  readonly bad: number;
  readonly firstBad: unknown;
  readonly peakRss: number;
  readonly ms: number;
}

test('backpressure: 1 GiB in 64 KiB messages to a slow consumer process — bufferedAmount rises, all arrives in order, RSS bounded', { timeout: 60_000 }, async () => {
  const worker = new Worker(consumerUrl, { type: 'process' });
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
  };
  const sampler = setInterval(sample, 20);
  try {
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ count: COUNT, busyMs: BUSY_MS }, [port2]);
    await next(worker);
    port1.bufferedAmountLowThreshold = LOW;
    const done = next<MessageEvent<Report>>(port1, 'message', 60_000);
    port1.start();
    const buffer = new ArrayBuffer(CHUNK);
    const view = new DataView(buffer);
    let maxBuffered = 0;
    let waits = 0;
    let waitedMs = 0;
    const start = performance.now();
    for (let seq = 0; seq < COUNT; seq++) {
      const buffered = port1.bufferedAmount;
      if (buffered > maxBuffered) maxBuffered = buffered;
      if (buffered > HIGH) {
        waits++;
        const waitStart = performance.now();
        await next(port1, 'bufferedamountlow', 20_000);
        waitedMs += performance.now() - waitStart;
        assert.ok(port1.bufferedAmount <= LOW, `bufferedamountlow fired at ${port1.bufferedAmount} bytes`);
        sample();
      }
      view.setUint32(0, seq);
      // Not transferred: the message is a copy, so one buffer serves every post.
      port1.postMessage({ seq, data: buffer });
    }
    const postedMs = performance.now() - start;
    const report = (await done).data;
    const totalMs = performance.now() - start;
    sample();
    const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    console.log(`# ${mib(COUNT * CHUNK)} posted in ${postedMs.toFixed(0)} ms, received in ${totalMs.toFixed(0)} ms (${(COUNT * CHUNK / 1024 / 1024 / (totalMs / 1000)).toFixed(0)} MiB/s); ` +
      `max bufferedAmount ${mib(maxBuffered)}, ${waits} waits for bufferedamountlow (${waitedMs.toFixed(0)} ms); ` +
      `producer RSS ${mib(rssStart)} → peak ${mib(rssPeak)} (+${mib(rssPeak - rssStart)}); consumer peak RSS ${mib(report.peakRss)}`);
    assert.deepEqual({ received: report.received, bytes: report.bytes, bad: report.bad, firstBad: report.firstBad }, { received: COUNT, bytes: COUNT * CHUNK, bad: 0, firstBad: null });
    assert.ok(maxBuffered > HIGH, `bufferedAmount rose to ${maxBuffered} while the consumer lagged`);
    assert.ok(waits > 0, 'the producer had to wait for bufferedamountlow');
    assert.ok(rssPeak - rssStart < RSS_BOUND, `producer RSS grew by ${mib(rssPeak - rssStart)}`);
    assert.equal(port1.bufferedAmount, 0, 'everything acknowledged');
    // Not asked of bufferedAmount (it counts until the consumer's node acknowledges, not until its
    // handler runs), but the consumer reads about as fast as it handles: nothing piles up there either.
    assert.ok(report.peakRss < 600 * 1024 * 1024, `consumer peak RSS ${mib(report.peakRss)}`);
    port1.close();
  } finally {
    clearInterval(sampler);
    await worker.terminate();
  }
});
