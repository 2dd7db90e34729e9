// Drivers for the Node-boundary benchmarks: one-way throughput and ping-pong round trips over a
// session (bench/node-contenders.js) whose far side runs bench/fixtures-node/peer.js.
//
// A session is { post(data, transfer?), handler, close() }: `post` sends to the peer, the
// contender calls `session.handler(data)` for each message the peer sends back.

/** Send a command string to the peer and wait for its 'ready'. */
export function command(session, text) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${session.name}: no answer to ${text} within 15 s`)), 15_000);
    session.handler = (data) => {
      if (data !== 'ready') return;
      clearTimeout(timer);
      resolve();
    };
    session.post(text);
  });
}

/**
 * One-way throughput across the boundary. The peer counts and acknowledges every `ackEvery`-th
 * message with its count; the sender keeps at most `window` messages unacknowledged, topping the
 * window up `ackEvery` at a time whenever an acknowledgement arrives (so each burst is posted in
 * one turn and a batching transport writes it at once). After `durationMs` the sender stops
 * topping up and the clock stops at the acknowledgement of the last message. The peer describes
 * the first message it received (peer.js `describe`) and `check` judges that description, so a
 * transport that delivers the wrong thing cannot post a fast time. Returns messages per second.
 */
export async function throughput(session, { make, transfer = false, check, window, ackEvery, durationMs }) {
  await command(session, `count:${ackEvery}`);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let stopping = false;
    let checked = false;
    const start = performance.now();
    const topUp = () => {
      while (sent - acked + ackEvery <= window) {
        if (transfer) {
          for (let k = 0; k < ackEvery; k++) {
            const message = make(sent++);
            session.post(message, [message]);
          }
        } else {
          for (let k = 0; k < ackEvery; k++) session.post(make(sent++));
        }
      }
    };
    session.handler = (data) => {
      if (typeof data === 'number') {
        acked = data;
        if (!stopping && performance.now() - start >= durationMs) stopping = true;
        if (!stopping) topUp();
        else if (acked === sent) {
          const seconds = (performance.now() - start) / 1000;
          if (!checked) reject(new Error(`${session.name}: the peer never described the first message`));
          else resolve({ messages: sent, seconds, perSecond: sent / seconds });
        }
      } else if (data !== null && typeof data === 'object' && 'first' in data) {
        try {
          check(data.first);
          checked = true;
        } catch (error) {
          reject(error);
        }
      }
    };
    topUp();
  });
}

/**
 * Round trips, one at a time: post `make(i)`, wait for the peer's echo, post the next from the
 * echo's handler. The first `warmUp` round trips of a run are not recorded; then every round
 * trip for `durationMs`, and on until at least `minTrips` were recorded. The first echo is
 * checked with `check(echo, sent)`. Returns the samples in µs.
 */
export async function roundTrips(session, { make, check, durationMs, warmUp = 100, minTrips = 0 }) {
  await command(session, 'echo');
  return new Promise((resolve, reject) => {
    const samples = [];
    let i = 0;
    let t0 = 0;
    let start = 0;
    let message;
    const next = () => {
      message = make(i);
      t0 = performance.now();
      session.post(message);
    };
    session.handler = (data) => {
      const t1 = performance.now();
      if (i === 0) {
        try {
          check(data, message);
        } catch (error) {
          reject(error);
          return;
        }
      }
      if (i === warmUp) start = t1;
      if (i >= warmUp) samples.push((t1 - t0) * 1000);
      i++;
      if (i > warmUp && t1 - start >= durationMs && samples.length >= minTrips) resolve(samples);
      else next();
    };
    next();
  });
}
