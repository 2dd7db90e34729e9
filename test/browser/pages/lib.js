// What every test page, iframe and worker loads: entangle (core and entangle/browser, from the
// browser build) and serve(), the other side of the seed's steps.
export * from '/dist/entangle.js';
export * from '/dist/entangle-browser.js';

/** The next message at `port` (an entangle or native port). */
export function nextMessage(port) {
  return new Promise((resolve) => {
    port.addEventListener('message', (event) => resolve(event), { once: true });
    port.start();
  });
}

/**
 * Answers on `port`: { hello } with a port → serve that port and greet on it (the seed's last
 * step); { ping } → { pong }; { call } with a port leading elsewhere → ping through it and
 * report the answer; { exchange: n } with such a port → post 0…n-1 through it, check that the n
 * echoes come back in order, report, and keep that port open.
 */
export function serve(port, where) {
  const kept = [];
  port.onmessage = async ({ data, ports }) => {
    if (data?.hello !== undefined) {
      const [reply] = ports;
      serve(reply, where);
      reply.postMessage(`hello, ${data.hello} — from ${where}`);
    } else if (data?.ping !== undefined) {
      port.postMessage({ pong: data.ping, where });
    } else if (data?.call !== undefined) {
      const [remote] = ports;
      kept.push(remote);
      const answer = nextMessage(remote);
      remote.postMessage({ ping: data.call });
      port.postMessage({ via: where, answer: (await answer).data });
    } else if (data?.exchange !== undefined) {
      const [remote] = ports;
      kept.push(remote);
      port.postMessage(await exchange(remote, data.exchange));
    }
  };
  port.start?.();
}

/** Posts 0…n-1 on `remote`, waits for its n echoes, and says whether they came back in order. */
function exchange(remote, n) {
  return new Promise((resolve) => {
    let next = 0;
    let inOrder = true;
    const start = performance.now();
    remote.onmessage = ({ data }) => {
      if (data !== next) inOrder = false;
      next++;
      if (next === n) resolve({ exchanged: n, inOrder, ms: performance.now() - start });
    };
    for (let i = 0; i < n; i++) remote.postMessage(i);
  });
}
