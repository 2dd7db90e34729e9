// A worker (thread or process) started with entangle/node's Worker: serve the port to the parent.
import { parentPort } from 'entangle/node';
import { serve } from './serve.js';

serve(parentPort);
