import type { Server } from 'node:http';

export interface StaticServer {
  readonly origin: string;
  readonly server: Server;
  close(): Promise<void>;
}

export function serveStatic(options: { routes: Record<string, string>; host?: string; port?: number }): Promise<StaticServer>;
