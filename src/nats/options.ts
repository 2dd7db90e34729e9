// join()'s options: checked once, with their defaults, each limit with what it is for.

import type { ConnectionOptions } from '@nats-io/transport-node';
import { DEFAULT_LINK_LIMITS } from '../link/limits.ts';

export interface JoinOptions {
  /** NATS server URLs (nats://host:port or host:port); the client fails over between them. */
  readonly servers: string | readonly string[];
  /** The name other nodes connect(name) to (1–128 of A-Z a-z 0-9 _ -). Several nodes may share one: each request goes to one of them. */
  readonly name?: string;
  /** NATS token authentication (passed to the NATS client). */
  readonly token?: string;
  /** NATS user/password authentication (passed to the NATS client). */
  readonly user?: string;
  readonly pass?: string;
  /** A shared secret every node of the mesh proves in each link handshake (HMAC; never sent). Without one, any NATS client that may publish to the mesh's subjects can link to its nodes. */
  readonly linkToken?: string;
  /** The first tokens of every subject of the mesh (default 'entangle'): two meshes with different prefixes share a cluster without meeting. */
  readonly subjectPrefix?: string;
  /** Where the server's client-disconnect notifications arrive (default '$SYS.ACCOUNT.*.DISCONNECT', which needs the import in the README's server config); null: heartbeats alone notice a dead node. */
  readonly presenceSubject?: string | null;
  /** How long a link waits for a new NATS transport after one broke (a failover) before its peer is lost (default 10 000 ms). */
  readonly graceMs?: number;
  /** How long joining, a probe, a link handshake and connect(name) may take (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Most link handshakes that other nodes started with this one at once (default 256); past it new connections are dropped. Stops a flood of hellos from holding memory. */
  readonly maxPendingHandshakes?: number;
  /** Other NATS client options (tls, authenticator, reconnectTimeWait…), passed through. */
  readonly nats?: Omit<ConnectionOptions, 'servers' | 'name' | 'token' | 'user' | 'pass'>;
}

export interface MeshOptions {
  readonly servers: string[];
  readonly name: string | null;
  readonly credentials: { token?: string; user?: string; pass?: string };
  readonly linkToken: string | null;
  readonly subjectPrefix: string;
  readonly presenceSubject: string | null;
  readonly graceMs: number;
  readonly timeoutMs: number;
  readonly maxPendingHandshakes: number;
  readonly nats: Omit<ConnectionOptions, 'servers' | 'name' | 'token' | 'user' | 'pass'>;
}

export const DEFAULT_SUBJECT_PREFIX = 'entangle';
export const DEFAULT_PRESENCE_SUBJECT = '$SYS.ACCOUNT.*.DISCONNECT';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PENDING = 256;

/** What a node's name may be: one subject token. */
export const NAME = /^[A-Za-z0-9_-]{1,128}$/;
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function resolveMeshOptions(options: JoinOptions): MeshOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('join: options { servers } are required.');
  const servers = typeof options.servers === 'string' ? [options.servers] : Array.isArray(options.servers) ? [...options.servers as string[]] : [];
  if (servers.length === 0 || servers.some((s) => typeof s !== 'string' || s === '')) throw new TypeError('join: servers must be a NATS URL or a non-empty array of them.');
  const name = options.name ?? null;
  if (name !== null && (typeof name !== 'string' || !NAME.test(name))) throw new TypeError(`join: name must be 1 to 128 of A-Z a-z 0-9 _ -; got ${JSON.stringify(name)}.`);
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix) || prefix.length > 128) throw new TypeError('join: subjectPrefix must be dot-separated tokens of A-Z a-z 0-9 _ -.');
  const presence = options.presenceSubject === undefined ? DEFAULT_PRESENCE_SUBJECT : options.presenceSubject;
  if (presence !== null && (typeof presence !== 'string' || presence === '' || /\s/.test(presence))) throw new TypeError('join: presenceSubject must be a NATS subject or null.');
  if (options.token !== undefined && (options.user !== undefined || options.pass !== undefined)) throw new TypeError('join: give a token or user/pass, not both.');
  for (const key of ['token', 'user', 'pass', 'linkToken'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw new TypeError(`join: ${key} must be a non-empty string.`);
  }
  const credentials: { token?: string; user?: string; pass?: string } = {};
  if (options.token !== undefined) credentials.token = options.token;
  if (options.user !== undefined) credentials.user = options.user;
  if (options.pass !== undefined) credentials.pass = options.pass;
  return {
    servers,
    name,
    credentials,
    linkToken: options.linkToken ?? null,
    subjectPrefix: prefix,
    presenceSubject: presence,
    graceMs: count('graceMs', options.graceMs, DEFAULT_LINK_LIMITS.graceMs, 0),
    timeoutMs: count('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS, 1),
    maxPendingHandshakes: count('maxPendingHandshakes', options.maxPendingHandshakes, DEFAULT_MAX_PENDING, 1),
    nats: options.nats ?? {},
  };
}

function count(key: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError(`join: ${key} must be an integer ≥ ${min}.`);
  return value;
}
