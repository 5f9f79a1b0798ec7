/**
 * Bearer-token authentication for every route except those marked
 * `config: { public: true }` (health, readiness, metrics, docs) and unmatched URLs (404).
 * The proven principal is `request.principal`; handlers narrow it with requireServer().
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TapedeckError } from '../../errors.js';
import type { Principal } from './principal.js';
import { verifyToken } from './tokens.js';

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- module augmentation needs an interface
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route; `null` on public routes. */
    principal: Principal | null;
  }
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- module augmentation needs an interface
  interface FastifyContextConfig {
    /** No token needed. */
    public?: boolean;
  }
}

/** Adds the `onRequest` hook that authenticates requests with `secret`. */
export function registerAuth(app: FastifyInstance, secret: string): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === undefined || request.routeOptions.config.public === true)
      return;
    request.principal = await verifyToken(secret, bearerToken(request));
  });
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw new TapedeckError('UNAUTHENTICATED', 'missing Authorization: Bearer <token> header');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined)
    throw new TapedeckError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
  return match[1];
}

/** The request's principal; throws UNAUTHENTICATED when the route was not authenticated. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null)
    throw new TapedeckError('UNAUTHENTICATED', 'this route needs a token');
  return request.principal;
}

/** Throws FORBIDDEN (403) unless the request carries the server token. */
export function requireServer(request: FastifyRequest): void {
  if (principalOf(request).kind !== 'server') {
    throw new TapedeckError('FORBIDDEN', 'this operation needs the server token');
  }
}
