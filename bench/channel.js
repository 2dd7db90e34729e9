// Same-thread channel drivers for any MessageChannel constructor: windowed throughput and
// ping-pong round-trip latency.

/**
 * Throughput: the sender keeps at most `window` messages unacknowledged (posted, not yet
 * received; the receiver's count is the acknowledgement, as both ends share the thread) and
 * tops the window up in bursts from a setImmediate loop, for `durationMs`. Then it stops posting
 * and the clock stops when the receiver has counted every message. Returns messages per second.
 *
 * `make(i)` builds message i; with `transfer`, the message (an ArrayBuffer) is also transferred.
 * `check(data)` validates the first message received, so a broken port cannot post a fast time.
 */
export function throughput(MessageChannel, { make, transfer = false, check, window = 1000, durationMs }) {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let stopping = false;
    let start = 0;

    port2.onmessage = (event) => {
      if (received === 0 && check !== undefined) {
        try {
          check(event.data);
        } catch (error) {
          reject(error);
        }
      }
      received++;
      if (stopping && received === sent) finish();
    };

    const pump = () => {
      if (performance.now() - start >= durationMs) {
        stopping = true;
        if (received === sent) finish();
        return;
      }
      // The two loops differ only in the transfer argument: postMessage(m) and
      // postMessage(m, undefined) are not the same call (arguments.length).
      if (transfer) {
        for (let room = window - (sent - received); room > 0; room--) {
          const message = make(sent++);
          port1.postMessage(message, [message]);
        }
      } else {
        for (let room = window - (sent - received); room > 0; room--) port1.postMessage(make(sent++));
      }
      setImmediate(pump);
    };

    const finish = () => {
      const seconds = (performance.now() - start) / 1000;
      port1.close();
      port2.close();
      resolve({ messages: sent, seconds, perSecond: sent / seconds });
    };

    start = performance.now();
    pump();
  });
}

/**
 * Round trip: port1 posts one message, port2's handler posts it back, port1's handler takes the
 * time and posts the next; for `durationMs` after `warmUp` unrecorded round trips (at most
 * `maxSamples`). Returns every round trip in microseconds.
 */
export function roundTrips(MessageChannel, { make, check, durationMs, warmUp = 1000, maxSamples = 1_000_000 }) {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve, reject) => {
    const samples = [];
    let i = 0;
    let sentAt = 0;
    let end = Infinity;

    port2.onmessage = (event) => port2.postMessage(event.data);
    port1.onmessage = (event) => {
      const now = performance.now();
      if (i === 1 && check !== undefined) {
        try {
          check(event.data);
        } catch (error) {
          reject(error);
        }
      }
      if (i > warmUp) samples.push((now - sentAt) * 1000);
      else if (i === warmUp) end = now + durationMs;
      if (now >= end || samples.length >= maxSamples) {
        port1.close();
        port2.close();
        resolve(samples);
        return;
      }
      send();
    };

    const send = () => {
      const message = make(i++);
      sentAt = performance.now();
      port1.postMessage(message);
    };
    send();
  });
}
