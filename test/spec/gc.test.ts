// Ports and garbage collection: item 26 of shared/spec/channel-messaging.md. A port collected
// while entangled disentangles (its peer gets `close`); a port with a message listener is kept
// alive by its entangled peer.
//
// Ports that must become unreachable are made inside helper functions, so that no test closure
// keeps them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, type MessageEvent, type MessagePort } from '../../src/index.ts';
import { collectUntil, next, record, settle, until } from './helpers.ts';

/** port1 of a channel whose port2 nobody references. */
function keepPort1Only(): MessagePort {
  const { port1 } = new MessageChannel();
  return port1;
}

/** port1 of a channel whose port2 nobody references, but listens with onmessage. */
function keepPort1WithListeningPeer(log: unknown[]): MessagePort {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = (event: MessageEvent) => log.push(event.data);
  return port1;
}

/** Same, with addEventListener and start(). */
function keepPort1WithAddEventListenerPeer(log: unknown[]): MessagePort {
  const { port1, port2 } = new MessageChannel();
  port2.addEventListener('message', (event) => log.push((event as MessageEvent).data));
  port2.start();
  return port1;
}

/** Same, with a listener that goes away when `controller` aborts. */
function keepPort1WithAbortablePeer(log: unknown[], controller: AbortController): MessagePort {
  const { port1, port2 } = new MessageChannel();
  port2.addEventListener('message', (event) => log.push((event as MessageEvent).data), { signal: controller.signal });
  port2.start();
  return port1;
}

/** A listening port2 whose handler is removed again: nothing keeps it alive any more. */
function keepPort1WithFormerlyListeningPeer(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = () => {};
  port2.onmessage = null;
  return port1;
}

/** port1 of a channel whose unreferenced, unstarted port2 has a message carrying `inner` queued. */
function keepPort1WithQueuedPortAtPeer(inner: MessagePort): MessagePort {
  const { port1 } = new MessageChannel();
  port1.postMessage('carrying a port', [inner]);
  return port1;
}

/** How many ports the next message at `port` carries; the event and its ports are not kept. */
async function portsReceived(port: MessagePort): Promise<number> {
  return (await next(port)).ports.length;
}

test('spec 26: a port garbage-collected while entangled fires close at its peer', async () => {
  const port1 = keepPort1Only();
  const closes = record(port1, 'close');
  assert.ok(await collectUntil(() => closes.length === 1), 'close at the peer of the collected port');
  assert.equal(closes[0]!.target, port1);
  port1.close();
});

test('spec 26: after its peer was collected, a port is no longer entangled: what it posts goes nowhere', async () => {
  const port1 = keepPort1Only();
  const closes = record(port1, 'close');
  assert.ok(await collectUntil(() => closes.length === 1));
  assert.doesNotThrow(() => port1.postMessage('nobody'));
  port1.close();
});

test('spec 26: a port with onmessage is kept alive by its entangled peer and still receives after gc', async () => {
  const log: unknown[] = [];
  const kept = keepPort1WithListeningPeer(log);
  const keptCloses = record(kept, 'close');
  // A control port without a listener, collected in the same rounds: proof that gc ran.
  const control = keepPort1Only();
  const controlCloses = record(control, 'close');
  assert.ok(await collectUntil(() => controlCloses.length === 1), 'the control port was collected');
  await collectUntil(() => false, 3);
  assert.deepEqual(keptCloses, [], 'the listening port was not collected');
  kept.postMessage('after gc');
  await until(() => log.length === 1, 'the message at the listening port');
  assert.deepEqual(log, ['after gc']);
  kept.close();
  control.close();
});

test('spec 26: a port with a message listener added by addEventListener is kept alive too', async () => {
  const log: unknown[] = [];
  const kept = keepPort1WithAddEventListenerPeer(log);
  const keptCloses = record(kept, 'close');
  const control = keepPort1Only();
  const controlCloses = record(control, 'close');
  assert.ok(await collectUntil(() => controlCloses.length === 1), 'the control port was collected');
  await collectUntil(() => false, 3);
  assert.deepEqual(keptCloses, []);
  kept.postMessage('after gc');
  await until(() => log.length === 1, 'the message at the listening port');
  kept.close();
  control.close();
});

test('spec 26: a port whose onmessage was set back to null can be collected again', async () => {
  const port1 = keepPort1WithFormerlyListeningPeer();
  const closes = record(port1, 'close');
  assert.ok(await collectUntil(() => closes.length === 1), 'close at the peer of the collected port');
  port1.close();
});

test('spec 26: a port whose listener was removed by an AbortSignal can be collected again', async () => {
  const log: unknown[] = [];
  const controller = new AbortController();
  const port1 = keepPort1WithAbortablePeer(log, controller);
  const closes = record(port1, 'close');
  await collectUntil(() => false, 3);
  assert.deepEqual(closes, [], 'kept alive while listening');
  port1.postMessage('while listening');
  await until(() => log.length === 1, 'the message');
  controller.abort();
  assert.ok(await collectUntil(() => closes.length === 1), 'collected once the listener is gone');
  port1.close();
});

test('spec 26: a port received by transfer and then dropped fires close at its peer once collected', async () => {
  const channel = new MessageChannel();
  const carrier = new MessageChannel();
  carrier.port2.start();
  carrier.port1.postMessage(null, [channel.port2]);
  // The received port is never stored.
  assert.equal(await portsReceived(carrier.port2), 1);
  const closes = record(channel.port1, 'close');
  await settle();
  assert.ok(await collectUntil(() => closes.length === 1), 'close at the peer of the collected port');
  channel.port1.close();
  carrier.port1.close();
  carrier.port2.close();
});

test('spec 26: ports inside messages queued at a collected port are closed too: their peers get close', async () => {
  const inner = new MessageChannel();
  const innerCloses = record(inner.port2, 'close');
  const port1 = keepPort1WithQueuedPortAtPeer(inner.port1);
  const closes = record(port1, 'close');
  assert.ok(await collectUntil(() => closes.length === 1 && innerCloses.length === 1), 'close at both peers');
  port1.close();
  inner.port2.close();
});
