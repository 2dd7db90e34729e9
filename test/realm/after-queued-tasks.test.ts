// afterQueuedTasks (src/spec/event-loop.ts), the end of turn that entangle/node and
// entangle/browser give their links: a microtask when no port task waits, else after the queued
// tasks (at most 16), and never later than a macrotask of its own. (Here, not in test/spec/: the
// spec files also run against Chromium's native ports, which have no such function.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterQueuedTasks, queueTask } from '../../src/spec/event-loop.ts';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('afterQueuedTasks: with no port task queued, a microtask', async () => {
  const order: string[] = [];
  afterQueuedTasks(() => order.push('callback'));
  queueMicrotask(() => order.push('microtask'));
  setImmediate(() => order.push('macrotask'));
  await turn();
  await turn();
  assert.deepEqual(order, ['callback', 'microtask', 'macrotask']);
});

test('afterQueuedTasks: after the port tasks queued before it', async () => {
  const order: string[] = [];
  for (let i = 0; i < 5; i++) queueTask({ runTask: () => order.push(`task ${i}`) });
  afterQueuedTasks(() => order.push('callback'));
  for (let i = 5; i < 8; i++) queueTask({ runTask: () => order.push(`task ${i}`) });
  while (order.length < 9) await turn();
  assert.deepEqual(order.slice(0, 5), ['task 0', 'task 1', 'task 2', 'task 3', 'task 4']);
  assert.ok(order.indexOf('callback') >= 5);
});

test('afterQueuedTasks: a long queue lets at most 16 tasks run first', async () => {
  const order: string[] = [];
  for (let i = 0; i < 40; i++) queueTask({ runTask: () => order.push(`task ${i}`) });
  afterQueuedTasks(() => order.push('callback'));
  while (order.length < 41) await turn();
  assert.equal(order.indexOf('callback'), 16);
});

test('afterQueuedTasks: from inside the last queued task, right after it', async () => {
  const order: string[] = [];
  queueTask({
    runTask: () => {
      order.push('task');
      afterQueuedTasks(() => order.push('callback'));
      queueMicrotask(() => order.push('microtask'));
    },
  });
  while (order.length < 3) await turn();
  assert.deepEqual(order, ['task', 'callback', 'microtask']);
});
