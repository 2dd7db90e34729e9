// A WebSocket server in its own process: every connection is a port, served like any other.
import { listen } from 'entangle/node';
import { serve } from './serve.js';

const server = await listen({ url: 'ws://127.0.0.1:0' });
server.onconnect = ({ ports: [port] }) => serve(port);
// Port 0 picked a free port: tell the parent the real URL.
console.log(server.url);
