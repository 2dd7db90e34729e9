// The peer behind the raw NATS benchmarks (argv: server URL, subject): serves <subject>.in with
// bench/fixtures-node/peer.js, answering on <subject>.out (one JSON publish per message), and
// echoes every request on <subject>.rr (request/reply). Prints a line when subscribed.
import { connect } from '@nats-io/transport-node';
import { exitOnSigterm, serve } from '../fixtures-node/peer.js';

exitOnSigterm();

const [url, subject] = process.argv.slice(2);
const nc = await connect({ servers: url });
const encoder = new TextEncoder();
serve({
  post: (data) => nc.publish(`${subject}.out`, encoder.encode(JSON.stringify(data))),
  listen: (deliver) => nc.subscribe(`${subject}.in`, { callback: (_error, msg) => deliver(msg.json()) }),
});
nc.subscribe(`${subject}.rr`, {
  callback: (_error, msg) => {
    const data = msg.json();
    msg.respond(typeof data === 'string' ? encoder.encode(JSON.stringify('ready')) : msg.data);
  },
});
await nc.flush();
process.stdout.write('ready\n');
