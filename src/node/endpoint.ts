// The addresses listen() and connect() take: ws://, wss://, tcp://host:port, tls://host:port,
// unix:/path. One parser for both, so that a server's `url` is always something connect() takes.

import { EntangleError } from '../errors.ts';

export type Endpoint =
  | { readonly scheme: 'ws' | 'wss'; readonly host: string; readonly port: number; readonly path: string }
  | { readonly scheme: 'tcp' | 'tls'; readonly host: string; readonly port: number }
  | { readonly scheme: 'unix'; readonly path: string };

const DEFAULT_PORTS = { ws: 80, wss: 443 } as const;

export function parseEndpoint(url: string | URL): Endpoint {
  const text = String(url);
  if (text.startsWith('unix:')) {
    // unix:/abs/path, unix:///abs/path, unix:relative/path
    let path = text.slice('unix:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '' || path.includes('\0')) throw badUrl(text, 'a unix: URL needs a socket path');
    return { scheme: 'unix', path: decodeURIComponent(path) };
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw badUrl(text, 'not a URL');
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== 'ws' && scheme !== 'wss' && scheme !== 'tcp' && scheme !== 'tls') {
    throw badUrl(text, 'the scheme must be ws:, wss:, tcp:, tls: or unix:');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw badUrl(text, 'a host is needed');
  if (parsed.username !== '' || parsed.password !== '') throw badUrl(text, 'credentials do not belong in the URL: pass { token }');
  let port: number;
  if (parsed.port !== '') port = Number(parsed.port);
  else if (scheme === 'ws' || scheme === 'wss') port = DEFAULT_PORTS[scheme];
  else throw badUrl(text, `a ${scheme}: URL needs a port`);
  if (scheme === 'ws' || scheme === 'wss') return { scheme, host, port, path: `${parsed.pathname}${parsed.search}` };
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw badUrl(text, `a ${scheme}: URL has no path`);
  return { scheme, host, port };
}

/** The URL of an endpoint (with the port actually bound, for a server that asked for :0). */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.scheme === 'unix') return `unix:${endpoint.path}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const base = `${endpoint.scheme}://${host}:${endpoint.port}`;
  return endpoint.scheme === 'ws' || endpoint.scheme === 'wss' ? `${base}${endpoint.path}` : base;
}

function badUrl(url: string, why: string): EntangleError {
  return new EntangleError('ENTANGLE_BAD_URL', `Cannot use ${JSON.stringify(url)}: ${why}.`);
}
