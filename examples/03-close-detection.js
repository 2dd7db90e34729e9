// Knowing that the other end is gone: `close` fires at the other port (HTML's close event).
// Messages posted before close() are still delivered, before the close event.
import { MessageChannel } from 'entangle';

const { port1, port2 } = new MessageChannel();
port2.onmessage = ({ data }) => console.log('port2 received:', data);
port2.onclose = () => console.log('port2: the other end closed');

port1.postMessage('last words');
port1.close();
