// The link handshake on one new transport: both sides send a hello (version, node id, nonce,
// frame limit, whether a token is used), then a proof (the session each holds for the other, the
// last sequence received in it, and an HMAC-SHA-256 over both hellos and the proof when a token
// is used). Without a token every step is synchronous, so a simulator needs no promises.

import type { EntangleError } from '../errors.ts';
import {
  byeCode, decodeFrame, encodeHello, encodeProof, encodeProofBody, FRAME_BYE, FRAME_HELLO, FRAME_PROOF,
  HELLO_FLAG_TOKEN, linkError, MAC_BYTES, NONCE_BYTES, NO_SESSION, PROOF_BODY_BYTES, SESSION_BYTES,
  type Frame, type HelloFrame, type ProofFrame,
} from './frames.ts';
import { MIN_FRAME_BYTES } from './limits.ts';
import { toHex, type NodeId } from './node-id.ts';
import type { FrameTransport } from './transport.ts';

/** What the MAC covers first: names the protocol and the purpose, so the MAC can mean nothing else. */
const MAC_LABEL = new TextEncoder().encode('entangle link v1 proof');

export interface HandshakeParams {
  readonly localNode: NodeId;
  /** The shared token's HMAC key, or null when no token is used. */
  readonly key: Promise<CryptoKey> | null;
  readonly maxFrameBytes: number;
  /** This side's dial count for this transport (0 when it accepted it). */
  readonly dial: number;
  /** Most bytes of frames queued while a MAC is being computed or checked. */
  readonly maxQueuedBytes: number;
  readonly random: (bytes: Uint8Array) => void;
  /** Asked once the peer is known: the session this side holds for it (null if none) and the last sequence received in it. */
  resumeState(peer: NodeId): { session: Uint8Array | null; lastReceived: number };
}

export interface HandshakeResult {
  readonly peer: NodeId;
  readonly peerMaxFrameBytes: number;
  /** The session this side named in its proof (hex; NO_SESSION for none). */
  readonly ourSession: string;
  readonly peerSession: string;
  readonly peerLastReceived: number;
  /** Which side dialled this transport, and its dial count: null when not exactly one side says it dialled. */
  readonly dialler: { readonly node: NodeId; readonly dial: number } | null;
  /** The id a new session made by this handshake gets: the XOR of both nonces' first 16 bytes, the same on both sides. */
  readonly newSession: Uint8Array;
  /** Frames that came after the peer's proof, in order: they belong to the link. */
  readonly queued: Uint8Array[];
}

/** Why a handshake failed, and whether to tell the peer with a bye (not when it said bye itself). */
export type HandshakeFailure = (error: EntangleError, sayBye: boolean) => void;

/**
 * - 'hello': our hello is sent; waiting for the peer's. Left on it (→ 'signing') or on any failure.
 * - 'signing': making our proof (async only with a token); arriving frames are queued. Left when
 *   our proof is sent (→ 'proof').
 * - 'proof': waiting for the peer's proof. Left when it arrives (→ 'verifying').
 * - 'verifying': checking the peer's MAC (async only with a token); arriving frames are queued,
 *   since a peer that already checked ours may be sending data. Left → 'done' or 'failed'.
 * - 'done', 'failed': terminal; the transport's frames are no longer the handshake's.
 */
export type HandshakeState = 'hello' | 'signing' | 'proof' | 'verifying' | 'done' | 'failed';

export class Handshake {
  state: HandshakeState = 'hello';
  readonly #transport: FrameTransport;
  readonly #params: HandshakeParams;
  readonly #done: (result: HandshakeResult) => void;
  readonly #fail: HandshakeFailure;
  readonly #nonce = new Uint8Array(NONCE_BYTES);
  #ourHello: Uint8Array = new Uint8Array(0);
  #peerHelloBytes: Uint8Array = new Uint8Array(0);
  #peerHello: HelloFrame | null = null;
  #ourSession = NO_SESSION;
  #peerProof: ProofFrame | null = null;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;

  constructor(transport: FrameTransport, params: HandshakeParams, done: (result: HandshakeResult) => void, fail: HandshakeFailure) {
    this.#transport = transport;
    this.#params = params;
    this.#done = done;
    this.#fail = fail;
  }

  /** True while a MAC is being computed or checked: work that runs outside the Clock. */
  get waitingOnCrypto(): boolean {
    return this.#params.key !== null && (this.state === 'signing' || this.state === 'verifying');
  }

  /** Sends our hello. */
  start(): void {
    this.#params.random(this.#nonce);
    this.#ourHello = encodeHello({
      flags: this.#params.key === null ? 0 : HELLO_FLAG_TOKEN,
      node: this.#params.localNode,
      nonce: this.#nonce,
      maxFrameBytes: this.#params.maxFrameBytes,
    });
    // A copy goes out: the MAC is computed over our hello later, and a transport may transfer (detach) what it sends.
    this.#send(this.#ourHello.slice());
  }

  #send(bytes: Uint8Array): void {
    try {
      this.#transport.send(bytes);
    } catch (cause) {
      this.abort(linkError('ENTANGLE_LINK_CLOSED', `The transport failed to send: ${String(cause)}`), false);
    }
  }

  /** Fails the handshake from outside (timeout, transport closed, table closed). */
  abort(error: EntangleError, sayBye: boolean): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.#queue = [];
    this.#fail(error, sayBye);
  }

  onFrame(bytes: Uint8Array): void {
    if (bytes.length > this.#params.maxFrameBytes) {
      this.abort(linkError('ENTANGLE_LINK_FRAME_TOO_LARGE', `Handshake frame of ${bytes.length} bytes exceeds maxFrameBytes ${this.#params.maxFrameBytes}.`), true);
      return;
    }
    switch (this.state) {
      case 'signing':
      case 'verifying':
        // A bye is read at once: it explains the close that follows it (a peer refusing our
        // proof), which would otherwise overtake it while our MAC is still being computed.
        if (bytes[0] === FRAME_BYE) this.#process(bytes);
        else this.#enqueue(bytes);
        return;
      case 'hello':
      case 'proof':
        this.#process(bytes);
        return;
      case 'done':
      case 'failed':
        return;
      default: {
        const never: never = this.state;
        throw new Error(`unknown handshake state ${String(never)}`);
      }
    }
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes > this.#params.maxQueuedBytes) {
      this.abort(linkError('ENTANGLE_LINK_PROTOCOL', 'Link protocol error: more than the resend limit sent during the handshake.'), true);
      return;
    }
    this.#queue.push(bytes);
  }

  #process(bytes: Uint8Array): void {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.abort(error as EntangleError, true);
      return;
    }
    if (frame.type === FRAME_BYE) {
      const code = byeCode(frame.reason);
      this.abort(linkError(code, `Peer refused the handshake (${code}).`), false);
    } else if (this.state === 'hello' && frame.type === FRAME_HELLO) {
      this.#onHello(frame, bytes);
    } else if (this.state === 'proof' && frame.type === FRAME_PROOF) {
      this.#onProof(frame, bytes);
    } else {
      this.abort(linkError('ENTANGLE_LINK_PROTOCOL', `Link protocol error: frame type ${frame.type} during the handshake's ${this.state} step.`), true);
    }
  }

  #onHello(hello: HelloFrame, bytes: Uint8Array): void {
    const usesToken = this.#params.key !== null;
    if (((hello.flags & HELLO_FLAG_TOKEN) !== 0) !== usesToken) {
      this.abort(linkError('ENTANGLE_LINK_AUTH', usesToken
        ? 'Peer does not use a token and this side requires one.'
        : 'Peer requires a token and this side has none.'), true);
      return;
    }
    if (hello.node === this.#params.localNode) {
      this.abort(linkError('ENTANGLE_LINK_PROTOCOL', 'Link protocol error: the peer claims this node\'s own id (a reflected hello?).'), true);
      return;
    }
    if (hello.maxFrameBytes < MIN_FRAME_BYTES) {
      this.abort(linkError('ENTANGLE_LINK_PROTOCOL', `Link protocol error: peer maxFrameBytes ${hello.maxFrameBytes} is below ${MIN_FRAME_BYTES}.`), true);
      return;
    }
    this.#peerHello = hello;
    this.#peerHelloBytes = bytes;
    this.state = 'signing';
    const { session, lastReceived } = this.#params.resumeState(hello.node);
    const sessionBytes = session ?? new Uint8Array(SESSION_BYTES);
    this.#ourSession = toHex(sessionBytes);
    const body = encodeProofBody(sessionBytes, lastReceived, this.#params.dial);
    this.#then(this.#sign(macInput(this.#ourHello, bytes, body)), (mac) => {
      if (this.state !== 'signing') return;
      this.state = 'proof';
      this.#send(encodeProof(body, mac));
      this.#drain();
    });
  }

  #onProof(proof: ProofFrame, bytes: Uint8Array): void {
    this.#peerProof = proof;
    this.state = 'verifying';
    const expected = this.#params.key === null ? 0 : MAC_BYTES;
    if (proof.mac.length !== expected) {
      this.abort(linkError('ENTANGLE_LINK_AUTH', expected === 0 ? 'Peer sent a MAC and no token is used.' : 'Peer sent no MAC.'), true);
      return;
    }
    const body = bytes.subarray(0, PROOF_BODY_BYTES);
    this.#then(this.#verify(proof.mac, macInput(this.#peerHelloBytes, this.#ourHello, body)), (ok) => {
      if (this.state !== 'verifying') return;
      if (!ok) {
        this.abort(linkError('ENTANGLE_LINK_AUTH', 'Peer\'s proof of the token is wrong (a different token, or a replayed handshake).'), true);
        return;
      }
      this.#finish();
    });
  }

  #finish(): void {
    const hello = this.#peerHello!;
    const proof = this.#peerProof!;
    const newSession = new Uint8Array(SESSION_BYTES);
    let any = 0;
    for (let i = 0; i < SESSION_BYTES; i++) any |= newSession[i] = this.#nonce[i]! ^ hello.nonce[i]!;
    if (any === 0) {
      this.abort(linkError('ENTANGLE_LINK_PROTOCOL', 'Link protocol error: the peer echoed this side\'s nonce.'), true);
      return;
    }
    if (proof.session === NO_SESSION && proof.lastReceived !== 0) {
      this.abort(linkError('ENTANGLE_LINK_PROTOCOL', 'Link protocol error: lastReceived without a session.'), true);
      return;
    }
    this.state = 'done';
    const queued = this.#queue;
    this.#queue = [];
    this.#done({
      peer: hello.node,
      peerMaxFrameBytes: hello.maxFrameBytes,
      ourSession: this.#ourSession,
      peerSession: proof.session,
      peerLastReceived: proof.lastReceived,
      dialler: (this.#params.dial === 0) === (proof.dial === 0) ? null
        : this.#params.dial !== 0 ? { node: this.#params.localNode, dial: this.#params.dial } : { node: hello.node, dial: proof.dial },
      newSession,
      queued,
    });
  }

  /** Frames queued while signing, processed now that a proof is expected; they stop at the proof. */
  #drain(): void {
    while (this.state === 'proof' && this.#queue.length > 0) {
      const bytes = this.#queue.shift()!;
      this.#queuedBytes -= bytes.length;
      this.#process(bytes);
    }
  }

  #sign(input: Uint8Array<ArrayBuffer>): Uint8Array | Promise<Uint8Array> {
    const key = this.#params.key;
    if (key === null) return new Uint8Array(0);
    return key.then((k) => globalThis.crypto.subtle.sign('HMAC', k, input)).then((mac) => new Uint8Array(mac));
  }

  #verify(mac: Uint8Array, input: Uint8Array<ArrayBuffer>): boolean | Promise<boolean> {
    const key = this.#params.key;
    if (key === null) return true;
    // subtle.verify compares in constant time.
    return key.then((k) => globalThis.crypto.subtle.verify('HMAC', k, mac.slice(), input));
  }

  /** Runs `next` now for a plain value, or when the promise settles; a crypto failure fails the handshake. */
  #then<T>(value: T | Promise<T>, next: (value: T) => void): void {
    if (!(value instanceof Promise)) {
      next(value);
      return;
    }
    value.then(next, (cause: unknown) => {
      const error = linkError('ENTANGLE_LINK_AUTH', `WebCrypto HMAC failed: ${String(cause)}`);
      this.abort(error, true);
    });
  }
}

/** label ‖ sender's hello ‖ receiver's hello ‖ sender's proof body. */
function macInput(senderHello: Uint8Array, receiverHello: Uint8Array, proofBody: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(MAC_LABEL.length + senderHello.length + receiverHello.length + proofBody.length);
  let pos = 0;
  for (const part of [MAC_LABEL, senderHello, receiverHello, proofBody]) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** The HMAC key for a token; UTF-8 for a string. An empty token is refused (it would authenticate nothing). */
export function importTokenKey(token: string | Uint8Array): Promise<CryptoKey> {
  const bytes = typeof token === 'string' ? new TextEncoder().encode(token) : token;
  if (bytes.length === 0) throw new TypeError('A link token must not be empty.');
  return globalThis.crypto.subtle.importKey('raw', bytes.slice(), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}
