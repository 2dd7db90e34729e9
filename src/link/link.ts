// One link: the reliable, ordered pipe to one peer node across however many transports it takes.
// Sequencing, cumulative acks, the bounded resend buffer, batching into DATA frames, heartbeats,
// and resume onto a new transport. The Links table creates links, runs handshakes and reports.

import { EntangleError } from '../errors.ts';
import type { Clock, Timer, TimerSet } from './clock.ts';
import {
  byeCode, DATA_OVERHEAD, dataFrameSize, decodeFrame, encodeAck, encodeBye, encodeData, encodePing,
  encodeDataPieces, FRAME_ACK, FRAME_BYE, FRAME_DATA, FRAME_HELLO, FRAME_PING, FRAME_PROOF, linkError, varintLength,
  type DataFrame, type Frame,
} from './frames.ts';
import type { LinkLimits } from './limits.ts';
import type { NodeId } from './node-id.ts';
import { lengthOf } from '../util/gather.ts';
import { ResendBuffer, type LinkMessage } from './resend-buffer.ts';
import type { FrameTransport } from './transport.ts';

/**
 * Most bytes of a DATA frame that batches several messages (a single larger message still gets a
 * frame of its own, up to maxFrameBytes): the receiver can start on a burst before all of it has
 * arrived, and a message of 64 KiB or more is at least 1/16 of its frame, which the receiver then
 * keeps instead of copying the message out (src/routing/codec.ts).
 */
const BATCH_FRAME_BYTES = 1024 * 1024;

/**
 * Messages of at least this many bytes go to a transport that writes pieces (sendPieces) as they
 * are, not copied into the frame: a burst of 64 KiB messages then costs no frame-sized buffer
 * and copy on the sending side.
 */
const GATHER_FROM = 8 * 1024;

/** Received bytes after which an ack goes out at the end of the turn instead of after ackDelayMs: a fast producer's bufferedAmount then falls in steps of at most this much. */
const ACK_NOW_BYTES = 64 * 1024;

/** Counters a Links table reports in stats(); its links add to them. */
export interface LinkCounters {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  duplicatesDropped: number;
  resentMessages: number;
  acksSent: number;
  pingsSent: number;
}

/** What a link needs from its table. */
export interface LinkHost {
  readonly limits: LinkLimits;
  readonly clock: Clock;
  readonly timers: TimerSet;
  readonly counters: LinkCounters;
  message(peer: NodeId, bytes: Uint8Array): void;
  acked(peer: NodeId, upTo: number): void;
  /** Asks for `flush()` at the end of the turn. */
  requestFlush(link: Link): void;
  /** The link lost its transport and waits graceMs for another. */
  detached(link: Link, error: EntangleError): void;
  /** The link must end: the table calls `close` and reports the peer lost. */
  lose(link: Link, error: EntangleError, sayBye: boolean): void;
}

/**
 * - 'attached': a live, authenticated transport. Entered from a handshake (new session or
 *   resume). Left when the transport closes or the heartbeat times out (→ 'detached'), or on a
 *   bye, protocol error, resend overflow or disconnect (→ 'lost').
 * - 'detached': no transport; sends go to the resend buffer; the grace timer runs. Left when a
 *   handshake for the same session completes (→ 'attached', resumed), or when grace expires, the
 *   buffer overflows, the peer starts a new session or the owner disconnects (→ 'lost').
 * - 'lost': terminal. Timers cleared, buffers dropped, out of the table; peerLost reported once.
 */
export type LinkState = 'attached' | 'detached' | 'lost';

export class Link {
  readonly peer: NodeId;
  /** This session's id (hex): the same on both sides, named by both when resuming. */
  readonly session: string;
  readonly sessionBytes: Uint8Array;
  state: LinkState = 'detached';
  readonly #host: LinkHost;
  #transport: FrameTransport | null = null;
  /** Who dialled the current transport and their dial count (see Links: a dialler's later transport wins). */
  dialler: { readonly node: NodeId; readonly dial: number } | null = null;
  #peerMaxFrameBytes: number;
  /** Next sequence number `send` assigns; the first is 1. */
  #nextSeq = 1;
  readonly #resend = new ResendBuffer();
  /** Highest sequence written to the current transport (or known received by the peer). */
  #sentUpTo = 0;
  /** Highest sequence received and delivered: our cumulative ack. */
  #received = 0;
  /** Bytes received since our last ack went out; > 0 means an ack is owed. */
  #owedBytes = 0;
  #ackOwed = false;
  #lastHeard = 0;
  #lastSent = 0;
  #heartbeat: Timer | null = null;
  #ackTimer: Timer | null = null;
  #grace: Timer | null = null;
  /** How long to wait for a new transport when this one drops: the attach's, since only its owner knows whether anyone will redial. */
  #graceMs = 0;

  constructor(host: LinkHost, peer: NodeId, session: Uint8Array, sessionHex: string, peerMaxFrameBytes: number) {
    this.#host = host;
    this.peer = peer;
    this.sessionBytes = session;
    this.session = sessionHex;
    this.#peerMaxFrameBytes = peerMaxFrameBytes;
  }

  /** Highest sequence received from the peer (what this side names when resuming). */
  get received(): number {
    return this.#received;
  }

  get unackedBytes(): number {
    return this.#resend.bytes;
  }

  get unackedCount(): number {
    return this.#resend.count;
  }

  /** Largest message `send` takes: what fits one frame of the smaller of both sides' maxFrameBytes. */
  get maxMessageBytes(): number {
    return Math.min(this.#host.limits.maxFrameBytes, this.#peerMaxFrameBytes) - DATA_OVERHEAD;
  }

  /**
   * Puts the link on `transport` after a handshake in which the peer said it received everything
   * up to `peerLastReceived`. Everything later that is still held is resent. Returns an error
   * (and changes nothing) if the peer's claim is impossible.
   */
  attach(transport: FrameTransport, peerLastReceived: number, peerMaxFrameBytes: number, dialler: Link['dialler'], graceMs: number): EntangleError | null {
    if (peerLastReceived > this.#nextSeq - 1) {
      return linkError('ENTANGLE_LINK_PROTOCOL', `Link protocol error: peer resumes after sequence ${peerLastReceived}; only ${this.#nextSeq - 1} were sent.`);
    }
    if (peerMaxFrameBytes !== this.#peerMaxFrameBytes) {
      return linkError('ENTANGLE_LINK_PROTOCOL', 'Link protocol error: peer changed its maxFrameBytes within a session.');
    }
    const host = this.#host;
    this.#release();
    this.#grace = host.timers.clear(this.#grace);
    this.#transport = transport;
    this.dialler = dialler;
    this.#graceMs = graceMs;
    this.state = 'attached';
    transport.onframe = (frame) => this.#onFrame(frame);
    transport.onclose = (cause) => {
      if (this.#transport === transport) this.#detach(new EntangleError('ENTANGLE_LINK_CLOSED', 'The transport closed.', { cause }));
    };
    this.#ack(peerLastReceived);
    // The peer may have acknowledged more on the old transport than it named in its proof.
    this.#sentUpTo = this.#resend.firstSeq - 1;
    host.counters.resentMessages += this.#nextSeq - 1 - this.#sentUpTo;
    this.#lastHeard = this.#lastSent = host.clock.now();
    this.#heartbeat = host.timers.set(() => this.#tick(), host.limits.heartbeatIntervalMs);
    if (this.#sentUpTo < this.#nextSeq - 1) host.requestFlush(this);
    // An ack owed on the old transport is owed on this one (the peer's proof may predate it).
    if (this.#ackOwed) this.#scheduleAck();
    return null;
  }

  /** Queues one message; returns its sequence number. The bytes must not change afterwards. */
  send(message: LinkMessage): number {
    const length = lengthOf(message);
    if (length > this.maxMessageBytes) {
      throw linkError('ENTANGLE_LINK_FRAME_TOO_LARGE', `A message of ${length} bytes does not fit a frame to this peer (at most ${this.maxMessageBytes}).`);
    }
    const seq = this.#nextSeq++;
    this.#resend.push(message, length);
    this.#host.counters.messagesSent++;
    if (this.#resend.bytes > this.#host.limits.maxUnackedBytes) {
      // Losing the peer, not blocking the sender: routing is synchronous and has no way to wait,
      // and a peer this far behind is indistinguishable from a dead or hostile one.
      this.#host.lose(this, linkError('ENTANGLE_LINK_RESEND_OVERFLOW',
        `More than maxUnackedBytes (${this.#host.limits.maxUnackedBytes}) sent to ${this.peer} and not acknowledged.`), true);
    } else if (this.state === 'attached') {
      this.#host.requestFlush(this);
    }
    return seq;
  }

  /** End of turn: everything sent and not yet written goes out in as few frames as fit; an owed ack too. */
  flush(): void {
    if (this.state !== 'attached') return;
    this.#writeData();
    if (this.state === 'attached' && this.#owedBytes >= ACK_NOW_BYTES) this.#writeAck();
  }

  /** Ends the link (the table calls this from `lose`): a bye if asked and possible, then everything released. */
  close(error: EntangleError, sayBye: boolean, flushFirst: boolean): void {
    if (this.state === 'lost') return;
    if (this.state === 'attached' && sayBye) {
      if (flushFirst) this.#writeData();
      if (this.#transport !== null) this.#write(encodeBye(error.code));
    }
    this.state = 'lost';
    this.#release();
    const timers = this.#host.timers;
    this.#grace = timers.clear(this.#grace);
    this.#resend.clear();
  }

  #detach(error: EntangleError): void {
    if (this.state !== 'attached') return;
    this.#release();
    this.state = 'detached';
    const host = this.#host;
    host.detached(this, error);
    if (this.state !== 'detached') return;
    const code = error.code === 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT' ? error.code : 'ENTANGLE_LINK_CLOSED';
    const expired = (): void => host.lose(this, new EntangleError(code,
      `No new transport to ${this.peer} within graceMs (${this.#graceMs}) after: ${error.message}`, { cause: error }), false);
    if (this.#graceMs === 0) expired();
    else this.#grace = host.timers.set(expired, this.#graceMs);
  }

  /** Lets go of the transport (closing it) and its timers. */
  #release(): void {
    const transport = this.#transport;
    const timers = this.#host.timers;
    this.#heartbeat = timers.clear(this.#heartbeat);
    this.#ackTimer = timers.clear(this.#ackTimer);
    if (transport === null) return;
    this.#transport = null;
    transport.onframe = null;
    transport.onclose = null;
    try {
      transport.close();
    } catch {
      // A transport that fails to close is gone all the same.
    }
  }

  #tick(): void {
    const host = this.#host;
    const now = host.clock.now();
    this.#heartbeat = null;
    if (now - this.#lastHeard >= host.limits.heartbeatTimeoutMs) {
      this.#detach(linkError('ENTANGLE_LINK_HEARTBEAT_TIMEOUT', `Nothing heard from ${this.peer} for ${now - this.#lastHeard} ms.`));
      return;
    }
    if (now - this.#lastSent >= host.limits.heartbeatIntervalMs) {
      host.counters.pingsSent++;
      this.#write(encodePing());
    }
    if (this.state === 'attached') this.#heartbeat = host.timers.set(() => this.#tick(), host.limits.heartbeatIntervalMs);
  }

  /** Sends a frame, or the pieces of one (`size` bytes) to a transport that has sendPieces. */
  #write(frame: Uint8Array): void;
  #write(pieces: readonly Uint8Array[], size: number): void;
  #write(frame: Uint8Array | readonly Uint8Array[], size = 0): void {
    const transport = this.#transport!;
    const counters = this.#host.counters;
    counters.framesSent++;
    counters.bytesSent += frame instanceof Uint8Array ? frame.length : size;
    this.#lastSent = this.#host.clock.now();
    try {
      if (frame instanceof Uint8Array) transport.send(frame);
      else transport.sendPieces!(frame, size);
    } catch (cause) {
      this.#detach(new EntangleError('ENTANGLE_LINK_CLOSED', 'The transport failed to send.', { cause }));
    }
  }

  #writeData(): void {
    const last = this.#nextSeq - 1;
    const batchLimit = Math.min(this.#host.limits.maxFrameBytes, this.#peerMaxFrameBytes, BATCH_FRAME_BYTES);
    while (this.#sentUpTo < last && this.state === 'attached') {
      const first = this.#sentUpTo + 1;
      const ack = this.#received;
      const { items, lengths, index } = this.#resend.view(first);
      let count = 0;
      let payload = 0;
      let gather = false;
      while (first + count <= last) {
        const length = lengths[index + count]!;
        const entry = varintLength(length) + length;
        if (count > 0 && dataFrameSize(ack, first, count + 1, payload + entry) > batchLimit) break;
        count++;
        payload += entry;
        if (length >= GATHER_FROM) gather = true;
      }
      const size = dataFrameSize(ack, first, count, payload);
      this.#sentUpTo += count;
      this.#ackSent();
      if (gather && this.#transport!.sendPieces !== undefined) {
        this.#write(encodeDataPieces(ack, first, items, lengths, index, count, size, GATHER_FROM), size);
      } else {
        this.#write(encodeData(ack, first, items, lengths, index, count, size));
      }
    }
  }

  #writeAck(): void {
    this.#host.counters.acksSent++;
    const ack = this.#received;
    this.#ackSent();
    this.#write(encodeAck(ack));
  }

  #ackSent(): void {
    this.#ackOwed = false;
    this.#owedBytes = 0;
    this.#ackTimer = this.#host.timers.clear(this.#ackTimer);
  }

  #onFrame(bytes: Uint8Array): void {
    if (this.state !== 'attached') return;
    const host = this.#host;
    host.counters.framesReceived++;
    host.counters.bytesReceived += bytes.length;
    this.#lastHeard = host.clock.now();
    if (bytes.length > host.limits.maxFrameBytes) {
      host.lose(this, linkError('ENTANGLE_LINK_FRAME_TOO_LARGE', `A frame of ${bytes.length} bytes exceeds maxFrameBytes ${host.limits.maxFrameBytes}.`), true);
      return;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      host.lose(this, error as EntangleError, true);
      return;
    }
    switch (frame.type) {
      case FRAME_DATA:
        if (this.#onAck(frame.ack)) this.#onData(frame);
        return;
      case FRAME_ACK:
        this.#onAck(frame.ack);
        return;
      case FRAME_PING:
        return;
      case FRAME_BYE: {
        const code = byeCode(frame.reason);
        host.lose(this, linkError(code, `${this.peer} said bye (${code}).`), false);
        return;
      }
      case FRAME_HELLO:
      case FRAME_PROOF:
        host.lose(this, linkError('ENTANGLE_LINK_PROTOCOL', 'Link protocol error: a handshake frame on an established link.'), true);
        return;
      default: {
        const never: never = frame;
        throw new Error(`unknown frame ${String(never)}`);
      }
    }
  }

  /** A cumulative ack from the peer; false if it was impossible (the link is then lost). */
  #onAck(ack: number): boolean {
    if (ack > this.#nextSeq - 1) {
      this.#host.lose(this, linkError('ENTANGLE_LINK_PROTOCOL', `Link protocol error: ack ${ack} for messages never sent (last ${this.#nextSeq - 1}).`), true);
      return false;
    }
    this.#ack(ack);
    return this.state === 'attached';
  }

  #ack(ack: number): void {
    // Acks only grow; a smaller one (a proof signed before a later ack) says nothing new.
    if (ack < this.#resend.firstSeq) return;
    this.#resend.ackUpTo(ack);
    if (this.#sentUpTo < ack) this.#sentUpTo = ack;
    this.#host.acked(this.peer, ack);
  }

  #onData(frame: DataFrame): void {
    const host = this.#host;
    const messages = frame.messages;
    if (frame.firstSeq > this.#received + 1) {
      host.lose(this, linkError('ENTANGLE_LINK_PROTOCOL', `Link protocol error: data from sequence ${frame.firstSeq}, expected ${this.#received + 1}.`), true);
      return;
    }
    for (let i = 0; i < messages.length; i++) {
      const seq = frame.firstSeq + i;
      if (seq <= this.#received) {
        // Resent after a resume and already delivered: exactly once means dropping it.
        host.counters.duplicatesDropped++;
        continue;
      }
      const message = messages[i]!;
      this.#received = seq;
      this.#owedBytes += message.length;
      host.counters.messagesReceived++;
      host.message(this.peer, message);
      if (this.state !== 'attached') return;
    }
    // Duplicates owe an ack too: the peer resent them because it did not know we had them.
    this.#ackOwed = true;
    if (this.#owedBytes >= ACK_NOW_BYTES) host.requestFlush(this);
    else this.#scheduleAck();
  }

  #scheduleAck(): void {
    if (this.#ackTimer !== null) return;
    this.#ackTimer = this.#host.timers.set(() => {
      this.#ackTimer = null;
      if (this.#ackOwed && this.state === 'attached') this.#writeAck();
    }, this.#host.limits.ackDelayMs);
  }
}
