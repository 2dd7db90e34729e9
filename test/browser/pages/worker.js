// A web worker: attaches to the page that started it and serves the port.
import { attach, serve } from './lib.js';

serve(await attach(self), 'web worker');
