// What the simulator checks once a scenario's world has drained (order and exactly-once are also
// checked as each message is taken, in scenario.ts):
//  - delivery: on channels no dead node ever touched, every message sent arrived, and peerClosed
//    came only after everything the closing end had sent; an end whose peer end is gone (closed,
//    dead with its node, lost in transit) saw peerClosed; two live ends agree whether their
//    channel is broken;
//  - settled: no buffering or proxying port, nothing parked, no pending accept, no closed
//    leftover, and every receiving port is one the applications hold;
//  - one hop: a probe on every live channel costs exactly one forwarded event between nodes;
//  - no leak: once every end is closed, every live node's stats are empty;
//  - honest nodes never cause the drops that mean a broken protocol.

import type { Channel, End, Scenario } from './scenario.ts';

/** Drops that honest nodes never cause (docs/routing.md, "Checks"): a node may cut off a peer that causes one. */
const BROKEN = ['wrongSource', 'badSequence', 'unexpected', 'malformed', 'limit', 'unknownPort'] as const;

export function checkSettled(s: Scenario, when: string): void {
  for (const wn of s.live()) {
    const stats = wn.node.stats();
    const problems: string[] = [];
    if (stats.ports.buffering) problems.push(`${stats.ports.buffering} buffering`);
    if (stats.ports.proxying) problems.push(`${stats.ports.proxying} proxying`);
    if (stats.ports.closed) problems.push(`${stats.ports.closed} closed`);
    if (stats.parked) problems.push(`${stats.parked} parked`);
    if (stats.pendingAccepts) problems.push(`${stats.pendingAccepts} pending accepts`);
    if (stats.queued) problems.push(`${stats.queued} queued`);
    const heldHere = s.held.get(wn.id)!.size;
    if (stats.ports.receiving !== heldHere) problems.push(`${stats.ports.receiving} receiving ports, the app holds ${heldHere}`);
    if (problems.length > 0) s.violation(`not settled at ${wn.name} ${when}: ${problems.join(', ')}`);
  }
  checkDrops(s);
}

export function checkDrops(s: Scenario): void {
  for (const wn of s.world.nodes) {
    const dropped = wn.node.stats().dropped;
    const bad = BROKEN.filter((r) => dropped[r] > 0).map((r) => `${dropped[r]} ${r}`);
    if (bad.length > 0) s.violation(`${wn.name} dropped events honest nodes never cause: ${bad.join(', ')}`);
  }
}

export function checkLeaks(s: Scenario): void {
  for (const wn of s.live()) {
    const stats = wn.node.stats();
    const leftovers = Object.entries(stats.ports).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`);
    if (stats.queued) leftovers.push(`${stats.queued} queued`);
    if (stats.parked) leftovers.push(`${stats.parked} parked`);
    if (stats.pendingAccepts) leftovers.push(`${stats.pendingAccepts} pending accepts`);
    if (stats.introduced) leftovers.push(`${stats.introduced} introduced`);
    if (leftovers.length > 0) s.violation(`leak at ${wn.name} after everything closed: ${leftovers.join(', ')}`);
  }
}

/** Whether a dead node ever held an end of `channel` or carried one (proxies may have been there). */
function touchedByDeath(s: Scenario, channel: Channel): boolean {
  for (const n of channel.nodes) if (s.dead.has(n)) return true;
  return false;
}

export function checkDelivery(s: Scenario): void {
  // Ends still in transit are lost: their channels count every node their carriers touched.
  for (let changed = true; changed; ) {
    changed = false;
    for (const channel of s.channels) {
      for (const end of channel.ends) {
        if (end.state !== 'transit' || end.via === null) continue;
        for (const n of end.via.nodes) {
          if (channel.nodes.has(n)) continue;
          channel.nodes.add(n);
          changed = true;
        }
      }
    }
  }
  for (const channel of s.channels) {
    const broken = touchedByDeath(s, channel);
    for (const receiver of channel.ends) if (receiver.state === 'held') checkEnd(s, receiver, channel.ends[1 - receiver.side]!, broken);
  }
}

function checkEnd(s: Scenario, receiver: End, sender: End, broken: boolean): void {
  const where = `c${receiver.channel.id}.${receiver.side} (${receiver.trail.join(' ')}; peer ${sender.trail.join(' ')})`;
  const senderAlive = sender.state === 'held';
  if (!senderAlive && receiver.peerClosedAt === null) {
    const status = JSON.stringify(receiver.node!.node.status(receiver.port!));
    s.violation(`${where}: its peer end is ${sender.state === 'transit' ? 'lost in transit' : sender.state}, but it never saw peerClosed (status ${status})`);
  }
  if (senderAlive && (receiver.peerClosedAt === null) !== (sender.peerClosedAt === null)) {
    s.violation(`${where}: peerClosed ${receiver.peerClosedAt !== null}, its live peer end says ${sender.peerClosedAt !== null}`);
  }
  if (broken) return;
  if (senderAlive && receiver.peerClosedAt !== null) s.violation(`${where}: peerClosed while both ends live and no node died`);
  if (receiver.peerClosedAt !== null && receiver.peerClosedAt !== sender.sent) {
    s.violation(`${where}: peerClosed after ${receiver.peerClosedAt} messages, the peer sent ${sender.sent}`);
  }
  if (receiver.received !== sender.sent && (senderAlive || receiver.peerClosedAt !== null)) {
    s.violation(`${where}: received ${receiver.received} of ${sender.sent} messages`);
  }
}

/** Once everything settled, a message takes one hop: one forwarded event per probe between nodes. */
export function probe(s: Scenario): void {
  const forwarded = (): number => s.world.nodes.reduce((sum, wn) => sum + (wn.alive ? wn.node.stats().forwarded : 0), 0);
  const before = forwarded();
  let crossing = 0;
  const probed: [End, number][] = [];
  for (const channel of s.channels) {
    const [a, b] = channel.ends;
    if (a.state !== 'held' || b.state !== 'held' || a.peerClosedAt !== null || b.peerClosedAt !== null) continue;
    for (const end of [a, b]) {
      const peer = channel.ends[1 - end.side]!;
      probed.push([peer, peer.received + 1]);
      if (end.node !== peer.node) crossing++;
      s.post(end, []);
      s.counts.probes++;
    }
  }
  s.world.drain();
  for (const [end, expected] of probed) {
    if (end.received !== expected) s.violation(`probe to c${end.channel.id}.${end.side} at ${end.node!.name} did not arrive`);
  }
  const hops = forwarded() - before;
  if (hops !== crossing) s.violation(`${probed.length} probes (${crossing} between nodes) took ${hops} forwarded events`);
  checkSettled(s, 'after the probes');
}
