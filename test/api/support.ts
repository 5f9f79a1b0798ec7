/** A server on a per-run random secret, with its JSON log lines captured. */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/config.js';
import { createServer, type ServerDeps, type TapedeckServer } from '../../src/api/server.js';

export type TestServer = {
  readonly server: TapedeckServer;
  readonly secret: string;
  readonly logs: () => string;
};

export function testServer(extra: Partial<ServerDeps> = {}): TestServer {
  const secret = randomBytes(32).toString('base64url');
  let logs = '';
  const config = loadConfig({ env: { TAPEDECK_PORT: '0', TAPEDECK_LOG_LEVEL: 'trace' } });
  const server = createServer(config, {
    apiSecret: secret,
    logStream: { write: (line: string) => void (logs += line) },
    ...extra,
  });
  return { server, secret, logs: () => logs };
}
