// The demo's web worker: holds the port to the Node child process (handed over by the page),
// pings it ten times a second, carries the user's messages to it, and reports its rate.
import { attach } from '/dist/entangle-browser.js';

const page = await attach(self);
let toProcess = null;
let count = 0;
let sent = null;

page.onmessage = ({ data, ports }) => {
  if (data.process) {
    toProcess = ports[0];
    toProcess.onmessage = ({ data: answer }) => {
      count++;
      if (typeof answer === 'string') page.postMessage({ greeting: answer });
      else if (answer.echo?.say !== undefined) page.postMessage({ reply: answer.echo.say, pid: answer.pid, ms: performance.now() - sent });
    };
    setInterval(() => {
      toProcess.postMessage({ ping: Date.now() });
      count++;
    }, 100);
  } else if (data.say !== undefined && toProcess !== null) {
    sent = performance.now();
    toProcess.postMessage({ say: data.say });
    count++;
  }
};
setInterval(() => {
  page.postMessage({ rate: count });
  count = 0;
}, 1000);
