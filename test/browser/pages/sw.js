// A service worker: every attach(self) answers the next client that attaches to it.
import { attach, serve } from './lib.js';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function next() {
  attach(self).then((port) => {
    serve(port, 'service worker');
    next();
  });
}
next();
