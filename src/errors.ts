// The two kinds of errors entangle throws: what the spec can observe is a DOMException with
// the spec's exact name, made here so messages stay consistent; everything else is an
// EntangleError with a stable `code` (transport, protocol and limit failures, in later layers).

// Captured at load: user code that deletes or replaces the global must not change our errors.
const DOMExceptionCtor = globalThis.DOMException;

/** `DataCloneError` DOMException: a value or transfer list the structured clone cannot take. */
export function dataCloneError(message: string): DOMException {
  return new DOMExceptionCtor(message, 'DataCloneError');
}

/** A `TypeError` as WebIDL conversions and brand checks throw it. */
export function typeError(message: string): TypeError {
  return new TypeError(message);
}

/** Brand-check failure, worded as browsers word it. */
export function illegalInvocation(): TypeError {
  return new TypeError('Illegal invocation');
}

/** Stable error codes; each later layer adds its own. */
export type EntangleErrorCode =
  | 'ENTANGLE_DESERIALIZE_FAILED'
  /** Wire: the bytes end inside a value. */
  | 'ENTANGLE_WIRE_TRUNCATED'
  /** Wire: a byte where a value tag belongs is no known tag. */
  | 'ENTANGLE_WIRE_UNKNOWN_TAG'
  /** Wire: the message exceeds one of the decoder's limits (src/wire/limits.ts). */
  | 'ENTANGLE_WIRE_LIMIT'
  /** Wire: the version byte is not one this decoder reads. */
  | 'ENTANGLE_WIRE_VERSION'
  /** Wire: well-tagged bytes that describe an impossible value (bad reference, bounds, trailing bytes…). */
  | 'ENTANGLE_WIRE_MALFORMED'
  /** Wire: a valid value this runtime cannot create (e.g. Float16Array where there is none). */
  | 'ENTANGLE_WIRE_UNSUPPORTED'
  // Link (src/link/): why a transport was refused or a peer node was lost.
  /** Link: the peer's proof of the shared token is wrong, or only one side uses a token. */
  | 'ENTANGLE_LINK_AUTH'
  /** Link: bytes that break the link protocol (garbage, a frame out of place, a bad sequence or ack). */
  | 'ENTANGLE_LINK_PROTOCOL'
  /** Link: the peer speaks another version of the link protocol. */
  | 'ENTANGLE_LINK_VERSION'
  /** Link: a frame over maxFrameBytes arrived, or a message too large for the peer's frames was sent. */
  | 'ENTANGLE_LINK_FRAME_TOO_LARGE'
  /** Link: the handshake did not finish within handshakeTimeoutMs. */
  | 'ENTANGLE_LINK_HANDSHAKE_TIMEOUT'
  /** Link: nothing was heard from the peer for heartbeatTimeoutMs (and no new transport came within graceMs). */
  | 'ENTANGLE_LINK_HEARTBEAT_TIMEOUT'
  /** Link: more than maxUnackedBytes were sent to the peer and not acknowledged. */
  | 'ENTANGLE_LINK_RESEND_OVERFLOW'
  /** Link: closed by a bye from either side, by a transport gone with no new one within graceMs, or never linked. */
  | 'ENTANGLE_LINK_CLOSED'
  /** Link: a transport dialled to reconnect to a peer reached another node id: the peer restarted. */
  | 'ENTANGLE_LINK_PEER_RESTARTED'
  // Routing (src/routing/):
  /** Routing: bytes that are not a well-formed routing event (truncated, unknown type, bad id, trailing bytes…). */
  | 'ENTANGLE_ROUTING_MALFORMED'
  /** Routing: a peer sent an event honest nodes never send (for a port it never peered with, failing a sender check): it is cut off. */
  | 'ENTANGLE_ROUTING_FORBIDDEN'
  // Node boundaries (src/node/):
  /** Node: a URL that listen() or connect() cannot use (scheme, host, port, path). */
  | 'ENTANGLE_BAD_URL'
  /** Node: connect() could not reach the server (refused, DNS, TLS), or it closed before a port arrived. */
  | 'ENTANGLE_CONNECT_FAILED'
  /** Node: a server refused a connection because maxPendingHandshakes handshakes were already in progress. */
  | 'ENTANGLE_SERVER_BUSY'
  /** Node: a worker could not be started, or exited before its link came up. */
  | 'ENTANGLE_WORKER_FAILED'
  /** Node: configure() after this thread's or process's node was made (by a Worker, listen, connect or join). */
  | 'ENTANGLE_ALREADY_STARTED'
  // NATS (src/nats/):
  /** NATS: the server refused join()'s credentials. */
  | 'ENTANGLE_NATS_AUTH'
  /** NATS: the server reported a peer node's connection closed; its ports get `close`. */
  | 'ENTANGLE_NATS_PEER_GONE';

/** An error that is not the spec's to name: it carries a stable `code` for programs to test. */
export class EntangleError extends Error {
  readonly code: EntangleErrorCode;
  constructor(code: EntangleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EntangleError';
    this.code = code;
  }
}
