// entangle/node: ports across Node boundaries — worker threads, child processes, and sockets
// (ws, wss, tcp, tls, unix). Every boundary is a link between two nodes; a port posted across
// one stays entangled wherever it goes next.

export { Worker, type WorkerOptions } from './worker.ts';
export { parentPort } from './parent-port.ts';
export { listen, Server, type ListenOptions, type ServerStats } from './listen.ts';
export { connect, type ConnectOptions } from './connect.ts';
export { ErrorEvent } from './error-event.ts';
export { configure, type NodeLimitOptions } from './realm.ts';
