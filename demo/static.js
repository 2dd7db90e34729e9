// A small static file server on loopback for the demo and the browser tests: URL prefixes mapped
// to directories, GET only, no directory listings, nothing outside the mapped directories.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
};

/**
 * Serves `routes` ({ '/dist/': '/abs/dir', '/': '/abs/other' }, longest prefix first) on
 * http://{host}:{port}; port 0 picks a free one. Resolves with { origin, server, close() }.
 */
export async function serveStatic({ routes, host = 'localhost', port = 0 }) {
  const table = Object.entries(routes)
    .map(([prefix, dir]) => [prefix, resolve(dir)])
    .sort(([a], [b]) => b.length - a.length);
  const server = createServer((request, response) => {
    let pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    if (pathname.endsWith('/')) pathname += 'index.html';
    const route = table.find(([prefix]) => pathname.startsWith(prefix));
    const file = route && resolve(route[1], `.${sep}${pathname.slice(route[0].length)}`);
    const type = file && TYPES[extname(file)];
    if (request.method !== 'GET' || route === undefined || !file.startsWith(route[1] + sep) || type === undefined) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      // A service worker script may control the whole origin; no-store keeps every run fresh.
      (body) => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'service-worker-allowed': '/' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host === 'localhost' ? '127.0.0.1' : host, done);
  });
  return {
    origin: `http://${host}:${server.address().port}`,
    server,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
