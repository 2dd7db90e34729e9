// The one thing every transport implements (ws, tcp, worker, browser postMessage, NATS, memory):
// a pipe of whole byte frames, in order, until it closes. The link layer adds everything else.

/**
 * A bidirectional, ordered pipe of frames. A transport never splits, merges, reorders or drops
 * frames while it is open; it may lose frames in flight when it closes (the link resends them).
 * Once a transport is attached to a Links table, the table owns `onframe` and `onclose`.
 */
export interface FrameTransport {
  /** Queue one frame. May copy, keep or transfer (detach) the bytes: the link never reads or writes a frame after sending it. Frames sent after close are dropped. */
  send(frame: Uint8Array): void;
  /**
   * Optional: queue one frame given as its pieces in order (`length` bytes in all), for a
   * transport that can write them without joining them first. Same rules as `send`.
   */
  sendPieces?(pieces: readonly Uint8Array[], length: number): void;
  /** Close both directions; frames already sent should still be delivered (a graceful close), and `onclose` follows on both sides. */
  close(): void;
  /** One whole frame from the other end. The bytes are the link's from now on: the transport must not reuse them. */
  onframe: ((frame: Uint8Array) => void) | null;
  /** The transport is gone (either side closed it, or it broke). Called at most once. */
  onclose: ((error?: unknown) => void) | null;
}
