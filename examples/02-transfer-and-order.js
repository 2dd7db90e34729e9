// A port keeps its queue and its order when it is transferred: messages that were waiting at
// port2 travel with it and arrive first at its new home.
import { MessageChannel } from 'entangle';

const { port1, port2 } = new MessageChannel();
for (let i = 1; i <= 3; i++) port1.postMessage(`queued before the transfer #${i}`);

const mailbox = new MessageChannel();
mailbox.port2.onmessage = ({ ports: [moved] }) => {
  let received = 0;
  moved.onmessage = ({ data }) => {
    console.log('moved port received:', data);
    if (++received === 4) {
      moved.close();
      mailbox.port1.close();
    }
  };
};
mailbox.port1.postMessage('here is port2', [port2]);
port1.postMessage('posted after the transfer');

// An ArrayBuffer in the transfer list moves without a copy; the sender's copy is detached.
const { port1: a, port2: b } = new MessageChannel();
const buffer = new Float64Array([1, 2, 3]).buffer;
b.onmessage = ({ data }) => {
  console.log('buffer arrived with', new Float64Array(data).length, 'numbers; sender now has', buffer.byteLength, 'bytes');
  b.close();
};
a.postMessage(buffer, [buffer]);
