// The per-node table of links: takes each new transport (dialled or accepted), runs the handshake
// on it, then resumes the existing link to that peer node or starts a new one; reports peers up,
// messages, acks and losses to its delegate; batches sends until the end of the turn.

import { EntangleError, type EntangleErrorCode } from '../errors.ts';
import { microtaskSchedule, systemClock, TimerSet, type Clock, type Timer } from './clock.ts';
import { encodeBye, linkError, NO_SESSION } from './frames.ts';
import { Handshake, importTokenKey, type HandshakeResult } from './handshake.ts';
import { Link, type LinkCounters, type LinkHost } from './link.ts';
import { resolveLinkLimits, type LinkLimitOptions, type LinkLimits } from './limits.ts';
import { defaultRandom, isNodeId, toHex, type NodeId } from './node-id.ts';
import type { LinkMessage } from './resend-buffer.ts';
import type { FrameTransport } from './transport.ts';

export interface LinksDelegate {
  /** A peer node is reachable (a handshake with it completed and started a new session). */
  peerUp(peer: NodeId, info: { resumed: false }): void;
  /** A message from `peer`, exactly once and in order. A view into a received frame: keep it if you like, never write to it. */
  message(peer: NodeId, bytes: Uint8Array): void;
  /** `peer` has acknowledged every message up to and including sequence `upTo` (as returned by send). */
  acked(peer: NodeId, upTo: number): void;
  /**
   * `peer` is lost for good (grace expired, it restarted, bye, protocol error, resend overflow,
   * heartbeat timeout past grace): no message of this session will be delivered to or from it
   * again. `error` has a code. A later handshake with the same node id starts a new session (peerUp again).
   */
  peerLost(peer: NodeId, error: EntangleError): void;
  /** Optional: the transport to `peer` is gone; the link waits graceMs for a new one. A dialler should dial again now. */
  detached?(peer: NodeId, error: EntangleError): void;
  /** Optional: a new transport to `peer` resumed the link; nothing was lost. */
  resumed?(peer: NodeId): void;
}

export interface LinksOptions {
  readonly localNode: NodeId;
  readonly delegate: LinksDelegate;
  /** A shared secret both sides must hold; proven by HMAC, never sent. Both sides must agree on whether there is one. */
  readonly token?: string | Uint8Array;
  readonly clock?: Clock;
  /** Runs `fn` at the end of the current turn (default queueMicrotask): sends made in one turn are batched into one flush. */
  readonly schedule?: (fn: () => void) => void;
  /** Fills bytes with random values (default crypto.getRandomValues): handshake nonces. */
  readonly random?: (bytes: Uint8Array) => void;
  readonly limits?: LinkLimitOptions;
}

export interface AttachOptions {
  readonly role: 'dial' | 'accept';
  /** For a dialled reconnect: the node we expect. If another answers, the expected one restarted and is lost. */
  readonly expectedPeer?: NodeId;
  /** The token for this transport instead of the table's (null: none). A server can hold one per listener. */
  readonly token?: string | Uint8Array | null;
  /**
   * How long the link waits for another transport when this one drops (default: the limits'
   * graceMs). 0 where no one will redial (a worker's port, a child's pipe, an accepted socket
   * whose client does not reconnect): the peer is lost as soon as the transport closes.
   */
  readonly graceMs?: number;
  /** How long this transport's handshake may take (default: the limits' handshakeTimeoutMs). */
  readonly handshakeTimeoutMs?: number;
}

export interface LinkStats extends Readonly<LinkCounters> {
  readonly links: number;
  readonly attached: number;
  readonly detached: number;
  readonly handshakes: number;
  /** Handshakes waiting for WebCrypto (outside the Clock: a simulator must let promises run). */
  readonly handshakesOnCrypto: number;
  readonly unackedMessages: number;
  readonly unackedBytes: number;
  readonly pendingTimers: number;
  readonly resumes: number;
  readonly peersLost: number;
  /** Transports refused during the handshake, by code. */
  readonly rejected: Readonly<Partial<Record<EntangleErrorCode, number>>>;
}

export class Links {
  readonly #local: NodeId;
  readonly #delegate: LinksDelegate;
  readonly #key: Promise<CryptoKey> | null;
  readonly #schedule: (fn: () => void) => void;
  readonly #random: (bytes: Uint8Array) => void;
  readonly #links = new Map<NodeId, Link>();
  readonly #handshakes = new Set<Handshake>();
  readonly #dirty = new Set<Link>();
  readonly #host: LinkHost;
  readonly #rejected: Partial<Record<EntangleErrorCode, number>> = {};
  readonly #keys = new Map<string, Promise<CryptoKey>>();
  #flushScheduled = false;
  /** > 0 while the owner is inside one of our methods: losses found then are reported from the scheduler, never re-entrantly. */
  #apiDepth = 0;
  #closed = false;
  #resumes = 0;
  /** Transports dialled so far: numbers each dial, so both sides can tell a dialler's later transport from an earlier one. */
  #dials = 0;
  #peersLost = 0;

  constructor(options: LinksOptions) {
    if (!isNodeId(options.localNode)) throw new TypeError('Links: localNode must be 32 lowercase hex characters.');
    const limits = resolveLinkLimits(options.limits);
    const clock = options.clock ?? systemClock;
    this.#local = options.localNode;
    this.#delegate = options.delegate;
    this.#key = options.token === undefined ? null : quiet(importTokenKey(options.token));
    this.#schedule = options.schedule ?? microtaskSchedule;
    this.#random = options.random ?? defaultRandom;
    const counters: LinkCounters = {
      framesSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0,
      duplicatesDropped: 0, resentMessages: 0, acksSent: 0, pingsSent: 0,
    };
    this.#host = {
      limits,
      clock,
      timers: new TimerSet(clock),
      counters,
      // As #call, without a closure per message.
      message: (peer, bytes) => {
        try {
          this.#delegate.message(peer, bytes);
        } catch (error) {
          this.#rethrowLater(error);
        }
      },
      acked: (peer, upTo) => {
        try {
          this.#delegate.acked(peer, upTo);
        } catch (error) {
          this.#rethrowLater(error);
        }
      },
      requestFlush: (link) => this.#requestFlush(link),
      detached: (link, error) => this.#report(() => this.#delegate.detached?.(link.peer, error)),
      lose: (link, error, sayBye) => this.#lose(link, error, sayBye, false),
    };
  }

  get localNode(): NodeId {
    return this.#local;
  }

  get limits(): LinkLimits {
    return this.#host.limits;
  }

  /**
   * Runs the handshake on a new transport and joins it to the link for that peer node. Resolves
   * with the peer's node id; rejects with an EntangleError (after closing the transport) if the
   * handshake fails: wrong token, version, garbage, timeout, or a session that cannot resume.
   */
  attach(transport: FrameTransport, options: AttachOptions): Promise<NodeId> {
    const { role, expectedPeer } = options;
    const graceMs = options.graceMs ?? this.#host.limits.graceMs;
    if (typeof graceMs !== 'number' || !(graceMs >= 0) || !Number.isFinite(graceMs)) throw new TypeError('Links.attach: graceMs must be a finite number ≥ 0.');
    const key = options.token === undefined ? this.#key : this.#keyFor(options.token);
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? this.#host.limits.handshakeTimeoutMs;
    if (typeof handshakeTimeoutMs !== 'number' || !(handshakeTimeoutMs >= 0) || !Number.isFinite(handshakeTimeoutMs)) {
      throw new TypeError('Links.attach: handshakeTimeoutMs must be a finite number ≥ 0.');
    }
    if (role !== 'dial' && role !== 'accept') throw new TypeError('Links.attach: role must be \'dial\' or \'accept\'.');
    if (expectedPeer !== undefined && (role !== 'dial' || !isNodeId(expectedPeer))) {
      throw new TypeError('Links.attach: expectedPeer is a node id, and only for role \'dial\'.');
    }
    const dial = role === 'dial' ? (this.#dials = (this.#dials % 0xffff_ffff) + 1) : 0;
    return new Promise<NodeId>((resolve, reject) => {
      const host = this.#host;
      let timer: Timer | null = null;
      const refuse = (error: EntangleError, sayBye: boolean): void => {
        this.#handshakes.delete(handshake);
        timer = host.timers.clear(timer);
        transport.onframe = null;
        transport.onclose = null;
        try {
          if (sayBye) transport.send(encodeBye(error.code));
          transport.close();
        } catch {
          // Refused either way.
        }
        this.#rejected[error.code] = (this.#rejected[error.code] ?? 0) + 1;
        reject(error);
      };
      const handshake = new Handshake(transport, {
        localNode: this.#local,
        key,
        maxFrameBytes: host.limits.maxFrameBytes,
        dial,
        maxQueuedBytes: host.limits.maxUnackedBytes + host.limits.maxFrameBytes,
        random: this.#random,
        resumeState: (peer) => {
          const link = this.#links.get(peer);
          return link === undefined ? { session: null, lastReceived: 0 } : { session: link.sessionBytes, lastReceived: link.received };
        },
      }, (result) => {
        this.#handshakes.delete(handshake);
        timer = host.timers.clear(timer);
        const refusal = this.#join(transport, result, expectedPeer, graceMs);
        if (refusal === REDUNDANT) {
          transport.onframe = null;
          transport.onclose = null;
          transport.close();
          resolve(result.peer);
        } else if (refusal !== null) {
          refuse(refusal.error, refusal.sayBye);
        } else {
          resolve(result.peer);
        }
      }, refuse);
      if (this.#closed) {
        refuse(linkError('ENTANGLE_LINK_CLOSED', 'This node\'s links are closed.'), false);
        return;
      }
      timer = host.timers.set(() => {
        handshake.abort(linkError('ENTANGLE_LINK_HANDSHAKE_TIMEOUT', `The handshake did not finish within ${handshakeTimeoutMs} ms.`), true);
      }, handshakeTimeoutMs);
      this.#handshakes.add(handshake);
      transport.onframe = (frame) => handshake.onFrame(frame);
      transport.onclose = (cause) => {
        handshake.abort(new EntangleError('ENTANGLE_LINK_CLOSED', 'The transport closed during the handshake.', { cause }), false);
      };
      this.#api(() => handshake.start());
    });
  }

  /**
   * Queues a message for `peer`; returns its per-link sequence number (for `acked`). Everything
   * sent in one turn goes out in as few frames as fit. Throws ENTANGLE_LINK_CLOSED if the peer is
   * not (or no longer) linked, ENTANGLE_LINK_FRAME_TOO_LARGE for a message no frame can carry.
   */
  send(peer: NodeId, bytes: Uint8Array): number {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('Links.send: bytes must be a Uint8Array.');
    return this.#send(peer, bytes);
  }

  /**
   * `send` for a message made of pieces (a short header and a large body): the peer receives
   * their bytes one after the other as one message, and they are never joined on this side but
   * written straight into the frame. None of them may change afterwards.
   */
  sendPieces(peer: NodeId, pieces: readonly Uint8Array[]): number {
    if (!Array.isArray(pieces) || !pieces.every((piece) => piece instanceof Uint8Array)) {
      throw new TypeError('Links.sendPieces: pieces must be an array of Uint8Arrays.');
    }
    return this.#send(peer, pieces);
  }

  #send(peer: NodeId, message: LinkMessage): number {
    const link = this.#links.get(peer);
    if (link === undefined) throw linkError('ENTANGLE_LINK_CLOSED', `No link to ${String(peer)}.`);
    // #api without a closure per message.
    this.#apiDepth++;
    try {
      return link.send(message);
    } finally {
      this.#apiDepth--;
    }
  }

  /** Whether there is a link to `peer` (attached, or waiting out its grace period for a new transport). */
  has(peer: NodeId): boolean {
    return this.#links.has(peer);
  }

  /** Bytes sent to `peer` and not yet acknowledged (0 when not linked). */
  unackedBytes(peer: NodeId): number {
    return this.#links.get(peer)?.unackedBytes ?? 0;
  }

  /** Largest message `send` takes for `peer` (0 when not linked). */
  maxMessageBytes(peer: NodeId): number {
    return this.#links.get(peer)?.maxMessageBytes ?? 0;
  }

  /** Says bye (with `error`'s code) to one peer after writing what is queued; peerLost follows on both sides, with no grace. */
  disconnect(peer: NodeId, error?: EntangleError): void {
    const link = this.#links.get(peer);
    if (link === undefined) return;
    this.#api(() => this.#lose(link, error ?? linkError('ENTANGLE_LINK_CLOSED', `Disconnected from ${peer} by this side.`), true, true));
  }

  /** Bye to every peer, refuses every handshake in progress, cancels every timer. peerLost follows for each peer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#api(() => {
      const error = linkError('ENTANGLE_LINK_CLOSED', 'This node closed its links.');
      for (const handshake of [...this.#handshakes]) handshake.abort(error, true);
      for (const link of [...this.#links.values()]) this.#lose(link, error, true, true);
      this.#host.timers.clearAll();
    });
  }

  /** Peers with a link, attached or waiting out the grace period. */
  peers(): NodeId[] {
    return [...this.#links.keys()];
  }

  stats(): LinkStats {
    let attached = 0;
    let unackedMessages = 0;
    let unackedBytes = 0;
    for (const link of this.#links.values()) {
      if (link.state === 'attached') attached++;
      unackedMessages += link.unackedCount;
      unackedBytes += link.unackedBytes;
    }
    return {
      ...this.#host.counters,
      links: this.#links.size,
      attached,
      detached: this.#links.size - attached,
      handshakes: this.#handshakes.size,
      handshakesOnCrypto: [...this.#handshakes].filter((h) => h.waitingOnCrypto).length,
      unackedMessages,
      unackedBytes,
      pendingTimers: this.#host.timers.size,
      resumes: this.#resumes,
      peersLost: this.#peersLost,
      rejected: { ...this.#rejected },
    };
  }

  /**
   * After an authenticated handshake: resume the session both sides named, or start a new one.
   * Returns why to refuse the transport instead, and whether to tell the peer with a bye (which
   * ends the session for it); or REDUNDANT for a transport that loses to the one the link keeps.
   */
  #join(transport: FrameTransport, result: HandshakeResult, expectedPeer: NodeId | undefined, graceMs: number): { error: EntangleError; sayBye: boolean } | typeof REDUNDANT | null {
    if (this.#closed) return { error: linkError('ENTANGLE_LINK_CLOSED', 'This node\'s links are closed.'), sayBye: true };
    const { peer } = result;
    if (expectedPeer !== undefined && expectedPeer !== peer) {
      // Another node answered where the expected one was: it restarted (node ids are new at every start).
      const old = this.#links.get(expectedPeer);
      if (old !== undefined && old.state === 'detached') {
        this.#lose(old, linkError('ENTANGLE_LINK_PEER_RESTARTED', `Dialled ${expectedPeer} again and ${peer} answered: it restarted.`), false, false);
      }
    }
    let link = this.#links.get(peer);
    if (result.ourSession !== NO_SESSION && result.peerSession === result.ourSession) {
      // Both named the same session: resume it, if it still exists here.
      if (link === undefined || link.session !== result.ourSession) {
        return { error: linkError('ENTANGLE_LINK_CLOSED', `The session with ${peer} ended during the handshake; dial again for a new one.`), sayBye: true };
      }
      // Transports finishing their handshakes in different orders on the two sides: both keep the
      // one that ranks higher, so they cannot end up on different ones (and close both).
      // Not an error for the caller: the peer is linked, over the transport both sides keep (two
      // processes that already share a link, say a worker and its parent, and also meet over a socket).
      if (link.state === 'attached' && ranksAbove(link.dialler, result.dialler)) return REDUNDANT;
      const error = link.attach(transport, result.peerLastReceived, result.peerMaxFrameBytes, result.dialler, graceMs);
      if (error !== null) {
        this.#lose(link, error, false, false);
        return { error, sayBye: true };
      }
      this.#resumes++;
      this.#report(() => this.#delegate.resumed?.(peer));
    } else {
      // Either side has no session, or they differ: whatever this side held is over for the peer too.
      if (link !== undefined) this.#lose(link, linkError('ENTANGLE_LINK_CLOSED', `${peer} started a new session: the old one is over.`), false, false);
      link = new Link(this.#host, peer, result.newSession, toHex(result.newSession), result.peerMaxFrameBytes);
      this.#links.set(peer, link);
      link.attach(transport, 0, result.peerMaxFrameBytes, result.dialler, graceMs);
      this.#call(() => this.#delegate.peerUp(peer, { resumed: false }));
    }
    // Frames that came during the MAC check go to the link first, in order; later ones come to it directly.
    for (const frame of result.queued) {
      if (link.state !== 'attached' || transport.onframe === null) break;
      transport.onframe(frame);
    }
    return null;
  }

  #lose(link: Link, error: EntangleError, sayBye: boolean, flushFirst: boolean): void {
    if (link.state === 'lost') return;
    link.close(error, sayBye, flushFirst);
    if (this.#links.get(link.peer) === link) this.#links.delete(link.peer);
    this.#dirty.delete(link);
    this.#peersLost++;
    this.#report(() => this.#delegate.peerLost(link.peer, error));
  }

  /** The HMAC key for a per-transport token; string tokens are imported once. */
  #keyFor(token: string | Uint8Array | null): Promise<CryptoKey> | null {
    if (token === null) return null;
    if (typeof token !== 'string') return quiet(importTokenKey(token));
    let key = this.#keys.get(token);
    if (key === undefined) this.#keys.set(token, (key = quiet(importTokenKey(token))));
    return key;
  }

  #requestFlush(link: Link): void {
    this.#dirty.add(link);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#schedule(() => {
      this.#flushScheduled = false;
      const links = [...this.#dirty];
      this.#dirty.clear();
      for (const l of links) l.flush();
    });
  }

  /** Runs an owner-called operation: delegate reports it causes wait for the scheduler. */
  #api<T>(fn: () => T): T {
    this.#apiDepth++;
    try {
      return fn();
    } finally {
      this.#apiDepth--;
    }
  }

  /** A delegate call about a change of state: now, or from the scheduler if the owner is inside one of our methods. */
  #report(fn: () => void): void {
    if (this.#apiDepth > 0) this.#schedule(() => this.#call(fn));
    else this.#call(fn);
  }

  /** Calls the delegate; an exception it throws is the owner's bug: rethrown from the scheduler so the link's state stays whole. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#rethrowLater(error);
    }
  }

  #rethrowLater(error: unknown): void {
    this.#schedule(() => {
      throw error;
    });
  }
}

type Dialler = Link['dialler'];

/** #join's answer for a transport to a peer already linked over a transport that ranks higher: closed, and the attach succeeds. */
const REDUNDANT = Symbol('redundant');

/** An import failure surfaces in each handshake that uses the key; this only keeps it from being unhandled meanwhile. */
function quiet(key: Promise<CryptoKey>): Promise<CryptoKey> {
  key.catch(() => {});
  return key;
}

/**
 * The order both sides agree on between two transports of one link: the same dialler's later dial
 * ranks higher (it dialled again because it saw the old one fail); between diallers, the lower
 * node id's transport ranks higher (arbitrary, but the same on both sides); a transport whose
 * dialler is unclear ranks lowest.
 */
function ranksAbove(current: Dialler, next: Dialler): boolean {
  if (current === null) return false;
  if (next === null) return true;
  if (current.node === next.node) return current.dial > next.dial;
  return current.node < next.node;
}
