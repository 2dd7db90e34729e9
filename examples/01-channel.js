// The seed's three steps: create a channel, hand port2 to the other side, listen on port1.
import { MessageChannel } from 'entangle';

// "The other side": here another part of this program, reached through a port of its own.
// In later examples the same code reaches a worker, a process or another machine.
const otherSide = new MessageChannel();
otherSide.port2.onmessage = ({ data, ports: [reply] }) => {
  reply.postMessage(`hello, ${data.name}`);
  reply.close();
  otherSide.port2.close();
};

// 1. Create a channel.
const { port1, port2 } = new MessageChannel();

// 3. Listen on port1 (addEventListener needs start(); setting onmessage starts the port itself).
port1.addEventListener('message', (event) => {
  console.log('port1 received:', event.data);
});
port1.start();

// 2. Hand port2 to the other side: it moves, with everything queued at it.
otherSide.port1.postMessage({ name: 'entangle' }, [port2]);
