// The demo page: connects to the Node server, starts a web worker, hands it the port to the Node
// child process, and draws the topology with messages per second on each port.
import { attach, connect } from '/dist/entangle-browser.js';

const svg = document.getElementById('topology');
const log = document.getElementById('log');
const NS = 'http://www.w3.org/2000/svg';

const nodes = {
  page: { x: 190, y: 120, name: 'page', detail: 'browsing context' },
  worker: { x: 190, y: 330, name: 'web worker', detail: 'module worker' },
  server: { x: 560, y: 120, name: 'Node server', detail: 'listen() over ws:' },
  thread: { x: 820, y: 120, name: 'worker thread', detail: 'tour peer (thread)' },
  process: { x: 740, y: 330, name: 'child process', detail: 'tour peer (process)' },
};
/** Links between nodes (one per pair, over one transport), with where their label goes. */
const links = [
  { a: 'page', b: 'worker', label: 'postMessage link', x: 100, y: 230, anchor: 'middle' },
  { a: 'page', b: 'server', label: 'WebSocket link', x: 375, y: 88, anchor: 'middle' },
  { a: 'server', b: 'thread', label: 'worker_threads link', x: 690, y: 88, anchor: 'middle' },
  { a: 'server', b: 'process', label: 'socket link', x: 612, y: 240, anchor: 'end' },
];
/** Ports: the nodes their messages pass through, an offset for drawing, a colour, and the count of the last second. */
const ports = {
  attach: { path: ['page', 'worker'], offset: -14, color: '#7b3fc4', label: 'page ⇄ web worker', via: 'attach(worker)', rate: 0 },
  control: { path: ['page', 'server'], offset: -14, color: '#2f5bd3', label: 'page ⇄ Node server', via: 'connect(ws:)', rate: 0 },
  thread: { path: ['page', 'server', 'thread'], offset: 14, color: '#d2781e', label: 'page ⇄ worker thread', via: 'relayed by the server', rate: 0 },
  process: { path: ['worker', 'page', 'server', 'process'], offset: 28, color: '#1a8f6a', label: 'web worker ⇄ child process', via: 'relayed by the page and the server', rate: 0 },
};
const counts = { attach: 0, control: 0, thread: 0 };

function el(name, attributes, parent = svg) {
  const element = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  parent.append(element);
  return element;
}

function draw() {
  group(20, 20, 330, 370, 'Browser (Chromium)');
  group(380, 20, 560, 370, 'Node');
  for (const { a, b, label, x, y, anchor } of links) {
    const [p, q] = [nodes[a], nodes[b]];
    el('line', { class: 'link', x1: p.x, y1: p.y, x2: q.x, y2: q.y });
    el('text', { class: 'link-label', x, y, 'text-anchor': anchor }).textContent = label;
  }
  for (const port of Object.values(ports)) {
    const points = port.path.map((id) => `${nodes[id].x + port.offset},${nodes[id].y + port.offset}`).join(' ');
    port.line = el('polyline', { class: 'port', points, stroke: port.color });
  }
  for (const node of Object.values(nodes)) {
    const g = el('g', { class: 'node' });
    el('rect', { x: node.x - 85, y: node.y - 28, width: 170, height: 56, rx: 9 }, g);
    el('text', { class: 'name', x: node.x, y: node.y - 3, 'text-anchor': 'middle' }, g).textContent = node.name;
    node.detailText = el('text', { class: 'detail', x: node.x, y: node.y + 16, 'text-anchor': 'middle' }, g);
    node.detailText.textContent = node.detail;
  }
  // The legend: one row per port, with its rate.
  el('text', { class: 'legend-title', x: 24, y: 428 }).textContent = 'Ports (messages per second, both ways, counted where the port is held)';
  Object.values(ports).forEach((port, i) => {
    const y = 456 + i * 26;
    el('line', { class: 'port active', x1: 24, y1: y - 4, x2: 64, y2: y - 4, stroke: port.color });
    el('text', { class: 'legend-name', x: 76, y }).textContent = port.label;
    el('text', { class: 'legend-via', x: 345, y }).textContent = port.via;
    port.text = el('text', { class: 'rate', fill: port.color, x: 936, y, 'text-anchor': 'end' });
  });
}

function group(x, y, width, height, label) {
  const g = el('g', { class: 'group' });
  el('rect', { x, y, width, height, rx: 14 }, g);
  el('text', { x: x + 14, y: y + 24 }, g).textContent = label;
}

function render() {
  for (const port of Object.values(ports)) {
    port.text.textContent = `${port.rate} msg/s`;
    port.line.classList.toggle('active', port.rate > 0);
  }
}

function say(text, cls) {
  const line = document.createElement('div');
  if (cls) line.className = cls;
  line.textContent = text;
  log.prepend(line);
}

/** Counts every message sent and received on `port` under `name`. */
function counted(port, name) {
  const post = port.postMessage.bind(port);
  port.postMessage = (...args) => {
    counts[name]++;
    post(...args);
  };
  port.addEventListener('message', () => counts[name]++);
  return port;
}

draw();
render();
const wsUrl = new URLSearchParams(location.search).get('ws');
const server = counted(await connect(wsUrl), 'control');
const worker = new Worker('./worker.js', { type: 'module' });
const toWorker = counted(await attach(worker), 'attach');
say(`connected to the Node server at ${wsUrl}; attached the web worker`);

server.onmessage = ({ data, ports: [port] }) => {
  if (data.pong !== undefined) {
    nodes.server.detailText.textContent = `process ${data.pid}`;
  } else if (data.port === 'worker thread') {
    counted(port, 'thread').onmessage = ({ data: answer }) => {
      if (typeof answer === 'string') say(`worker thread: ${answer}`);
      else nodes.thread.detailText.textContent = `thread in process ${answer.pid}`;
    };
    setInterval(() => port.postMessage(Date.now()), 100);
  } else if (data.port === 'child process') {
    // The port to the child process goes on to the web worker: from now on its messages cross page and server.
    toWorker.postMessage({ process: true }, [port]);
  }
};
setInterval(() => server.postMessage({ ping: Date.now() }), 200);

toWorker.onmessage = ({ data }) => {
  if (data.rate !== undefined) ports.process.rate = data.rate;
  else if (data.greeting !== undefined) {
    say(`child process (via the web worker): ${data.greeting}`);
    nodes.process.detailText.textContent = data.greeting.replace(/.*from /, '');
  } else if (data.reply !== undefined) {
    say(`reply from process ${data.pid}: "${data.reply}" — page → web worker → Node process and back in ${data.ms.toFixed(1)} ms`, 'reply');
    document.body.dataset.replies = String(Number(document.body.dataset.replies ?? 0) + 1);
  }
};

setInterval(() => {
  for (const name of Object.keys(counts)) {
    ports[name].rate = counts[name];
    counts[name] = 0;
  }
  render();
}, 1000);

document.getElementById('send').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = document.getElementById('message').value;
  toWorker.postMessage({ say: text });
  say(`sent: "${text}"`);
});
document.body.dataset.ready = 'true';
