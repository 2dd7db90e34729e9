// Shared helpers for the spec conformance tests: waiting for tasks without timing assertions,
// collecting events, and a garbage-collection handle.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageEvent, MessagePort } from '../../src/index.ts';

/** One turn of the event loop: every task queued before it (one setImmediate each) has run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Let everything already queued run, and what it queues in turn, a few levels deep; then a
 * timer turn too. Used before asserting that something did *not* happen.
 */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
  await sleep(0);
  for (let i = 0; i < turns; i++) await turn();
}

/**
 * Wait until `condition()` holds, a bounded number of event-loop turns (with a timer turn now
 * and then, so that a paused task queue can resume). Fails with `what` instead of hanging.
 */
export async function until(condition: () => boolean, what: string, maxTurns = 3000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    if (i % 100 === 99) await sleep(0);
    else await turn();
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Every event of `type` fired at `target` from now on, in order. */
export function record<E extends Event = MessageEvent>(target: EventTarget, type = 'message'): E[] {
  const events: E[] = [];
  target.addEventListener(type, (event) => events.push(event as E));
  return events;
}

/** The data of each recorded message event. */
export function payloads(events: readonly Event[]): unknown[] {
  return events.map((event) => (event as MessageEvent).data);
}

/** The next event of `type` at `target`, or a failure after a bounded wait. */
export async function next<E extends Event = MessageEvent>(target: EventTarget, type = 'message'): Promise<E> {
  let received: E | undefined;
  const listener = (event: Event): void => {
    received ??= event as E;
  };
  target.addEventListener(type, listener);
  try {
    await until(() => received !== undefined, `a '${type}' event`);
  } finally {
    target.removeEventListener(type, listener);
  }
  return received!;
}

/** Close every port given (so that a test leaves nothing entangled behind). */
export function closeAll(...ports: MessagePort[]): void {
  for (const port of ports) port.close();
}

let gcFunction: (() => void) | undefined;

/** A full garbage collection, without needing --expose-gc on the command line. */
export function gc(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/**
 * Collect garbage and let finalizers and the tasks they queue run, until `condition()` holds or
 * a bounded number of rounds passed. Returns whether the condition held.
 */
export async function collectUntil(condition: () => boolean, rounds = 20): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await sleep(1);
    await settle(3);
    if (condition()) return true;
  }
  return condition();
}

/**
 * When the spec tests run over ports whose peers are on another node (test/realm/across-nodes.ts
 * sets ENTANGLE_ACROSS_NODES), the few tests that observe what only a same-node pair can have
 * (a message queued synchronously, one global order across unshipped channels, internal
 * state) are skipped, each with the reason. Everything else must hold across nodes too.
 */
export function sameNodeOnly(reason: string): { skip: string | false } {
  return { skip: process.env['ENTANGLE_ACROSS_NODES'] === '1' ? `same node only: ${reason}` : false };
}
