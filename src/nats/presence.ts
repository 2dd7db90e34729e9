// The NATS server's client-disconnect notifications ($SYS.ACCOUNT.<account>.DISCONNECT, exported
// from the system account and imported into the mesh's; see the README): which node's connection
// closed. A mesh node names its NATS connection after its node id.

import { isNodeId, type NodeId } from '../link/node-id.ts';

/**
 * Reasons that mean the client's socket ended: the process exited or was killed ('Client
 * Closed'; 'Read Error' when the kernel reset the socket because data was still unread, which a
 * SIGKILL'd node under load usually has). Others (a stale connection, a slow consumer, a server
 * shutting down) may be a node that reconnects: its links wait for it (heartbeats and graceMs).
 */
const GONE_REASONS: ReadonlySet<string> = new Set(['Client Closed', 'Read Error', 'Write Error']);

/** The node whose connection a disconnect notification reports closed for good, or null. */
export function disconnectedNode(data: Uint8Array): NodeId | null {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  if (typeof event !== 'object' || event === null) return null;
  const { client, reason } = event as { client?: { name?: unknown }; reason?: unknown };
  const name = client?.name;
  if (typeof reason !== 'string' || !GONE_REASONS.has(reason) || !isNodeId(name)) return null;
  return name;
}
