/**
 * Public OIDC discovery routes: the clouds that trust tapedeck's tokens (AWS IAM, GCP
 * workload identity, Entra) fetch these, without a token, to find and verify its keys.
 *
 * ```text
 * GET /.well-known/openid-configuration → { issuer, jwks_uri, … }
 * GET /.well-known/jwks.json            → { keys: [ { kty, n, e, kid, alg: RS256, use: sig } ] }
 * cache-control: public, max-age=300
 * ```
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
import type { FastifyInstance } from 'fastify';
import type { OidcIssuer } from '../../storage/identity/oidc-issuer.js';

const CACHE_CONTROL = 'public, max-age=300';

export function registerOidcRoutes(app: FastifyInstance, issuer: OidcIssuer): void {
  app.get(
    '/.well-known/openid-configuration',
    {
      config: { public: true },
      schema: {
        summary: 'OpenID Connect discovery document of tapedeck as a token issuer',
        tags: ['identity'],
      },
    },
    async (_request, reply) =>
      reply
        .header('cache-control', CACHE_CONTROL)
        .type('application/json; charset=utf-8')
        .send(issuer.discovery()),
  );
  app.get(
    '/.well-known/jwks.json',
    {
      config: { public: true },
      schema: { summary: "the issuer's public signing keys (JWK set)", tags: ['identity'] },
    },
    async (_request, reply) =>
      reply
        .header('cache-control', CACHE_CONTROL)
        .type('application/json; charset=utf-8')
        .send(await issuer.jwks()),
  );
}
