// configure() from entangle/node: the limits of this process's node, checked at once, set before
// the node exists, and handed to the workers it starts. (One process per test file: nothing in
// this file makes the node before the test that configures it.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntangleError } from 'entangle';
import { configure, Worker } from 'entangle/node';
import { agentUrl, next } from './helpers.ts';

test('configure: every limit is checked when it is set', () => {
  assert.throws(() => configure(null as never), TypeError);
  assert.throws(() => configure({ link: { heartbeatTimeoutMs: -1 } }), TypeError);
  assert.throws(() => configure({ link: { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 100 } }), RangeError);
  assert.throws(() => configure({ link: { maxFrameBytes: 10 } }), RangeError);
  assert.throws(() => configure({ routing: { maxForwards: 'many' as never } }), TypeError);
  assert.throws(() => configure({ relay: { maxRoutes: Infinity } }), TypeError);
});

test('configure: a shorter heartbeat finds a stopped worker process sooner, and the worker runs with the same limits', async () => {
  configure({ link: { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 400 }, routing: { maxForwards: 32 } });
  const worker = new Worker(agentUrl, { type: 'process' });
  try {
    const answer = (cmd: string): Promise<Record<string, unknown>> => {
      const reply = next(worker, 'message');
      worker.postMessage({ cmd });
      return reply.then((event) => (event as MessageEvent).data as Record<string, unknown>);
    };
    const { limits } = await answer('limits') as { limits: Record<string, number> };
    assert.equal(limits.heartbeatIntervalMs, 100, 'inherited by the worker');
    assert.equal(limits.heartbeatTimeoutMs, 400);
    const { pid } = await answer('pid') as { pid: number };
    const closed = next(worker, 'close', 10_000);
    const start = performance.now();
    process.kill(pid, 'SIGSTOP');
    try {
      await closed;
      const ms = performance.now() - start;
      // 400 ms without a word, checked every 100 ms (the default is 3 s): room for a loaded machine.
      assert.ok(ms >= 300 && ms < 2500, `close ${ms.toFixed(0)} ms after SIGSTOP with heartbeatTimeoutMs 400`);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  } finally {
    await worker.terminate();
  }
});

test('configure: once the node exists it is too late (ENTANGLE_ALREADY_STARTED)', () => {
  assert.throws(() => configure({ link: { heartbeatTimeoutMs: 10_000 } }), (error: unknown) => error instanceof EntangleError && error.code === 'ENTANGLE_ALREADY_STARTED');
});
