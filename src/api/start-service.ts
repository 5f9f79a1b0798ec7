/**
 * What `tapedeck serve` does: configuration → API secret → server → listen. The first
 * start (the one that generated the secret) also gets the secret and a server token to
 * show the operator once.
 */
import type { DestinationStream } from 'pino';
import { ensureApiSecret, apiSecretPath } from '../config/api-secret.js';
import type { TapedeckConfig } from '../config/config.js';
import { loadConfigFromEnv } from '../config/load-config-node.js';
import { mintServerToken } from './auth/tokens.js';
import { createServer, type TapedeckServer } from './server.js';

export type StartServiceOptions = {
  /** Environment to configure from (usually `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where JSON log lines go; default stdout. */
  readonly logStream?: DestinationStream;
};

export type FirstStart = {
  /** The generated API secret (to be shown once, never logged). */
  readonly apiSecret: string;
  /** Where it is stored. */
  readonly secretPath: string;
  /** A server token signed with it. */
  readonly serverToken: string;
};

export type RunningService = {
  readonly config: TapedeckConfig;
  readonly server: TapedeckServer;
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Present only on the start that generated the API secret. */
  readonly firstStart?: FirstStart;
};

export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const config = await loadConfigFromEnv(options.env);
  const { secret, source } = await ensureApiSecret(config);
  const server = createServer(config, {
    apiSecret: secret,
    ...(options.logStream !== undefined ? { logStream: options.logStream } : {}),
  });
  const url = await server.listen();
  if (source !== 'generated') return { config, server, url };
  return {
    config,
    server,
    url,
    firstStart: {
      apiSecret: secret,
      secretPath: apiSecretPath(config),
      serverToken: await mintServerToken(secret),
    },
  };
}
