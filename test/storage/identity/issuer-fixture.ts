/**
 * A running tapedeck OIDC issuer for the credential tests: a migrated SQLite database in a
 * temp dir, a fresh API secret, and a bare fastify app serving the discovery routes on
 * 127.0.0.1, whose URL is the issuer (so the cloud doubles fetch its JWKS over HTTP).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { registerOidcRoutes } from '../../../src/api/routes/oidc-routes.js';
import { migrateToLatest, openDatabase, type TapedeckDatabase } from '../../../src/db/index.js';
import { OidcIssuer } from '../../../src/storage/identity/oidc-issuer.js';

export type RunningIssuer = {
  readonly issuer: OidcIssuer;
  readonly url: string;
  readonly store: TapedeckDatabase;
  close(): Promise<void>;
};

export async function startIssuer(): Promise<RunningIssuer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const store = openDatabase({ path: path.join(dir, 'tapedeck.db') });
  await migrateToLatest(store.db);
  // Bind first so the issuer URL (with its port) is known before the issuer opens.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = await OidcIssuer.open({
    db: store.db,
    apiSecret: randomBytes(32).toString('base64url'),
    issuer: url,
  });
  const app = Fastify({
    serverFactory: (handler) => {
      server.on('request', handler);
      return server;
    },
  });
  registerOidcRoutes(app, issuer);
  await app.ready();
  return {
    issuer,
    url,
    store,
    async close() {
      server.closeAllConnections();
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
