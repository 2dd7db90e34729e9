// The raw WebSocket baseline's peer: a ws server, one JSON text message per frame. Prints its URL
// as one JSON line.
import { WebSocketServer } from 'ws';
import { exitOnSigterm, serve } from './peer.js';

exitOnSigterm();

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => {
  serve({
    post: (data) => ws.send(JSON.stringify(data)),
    listen: (deliver) => ws.on('message', (message) => deliver(JSON.parse(message.toString()))),
  });
});
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${wss.address().port}` })}\n`));
