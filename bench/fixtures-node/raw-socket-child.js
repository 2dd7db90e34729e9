// The peer of the raw baseline: length-prefixed frames over the Unix socket pair the parent put on
// fd 3 (the same kind of socket pair entangle's process Worker links over, on its fd 4).
import { Socket } from 'node:net';
import { FramedStream } from './framing.js';
import { exitOnSigterm, serve } from './peer.js';

exitOnSigterm();

const socket = new Socket({ fd: 3, readable: true, writable: true });
// The parent closing its end (or dying) ends this process.
socket.on('end', () => process.exit(0));
socket.on('error', () => process.exit(0));
let stream;
serve({
  post: (data) => stream.send(data),
  listen: (deliver) => (stream = new FramedStream(socket, deliver)),
});
