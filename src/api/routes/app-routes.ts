/** `PUT/GET /v1/app/webhook`: the application's webhook endpoint (server token). */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/index.js';
import { getWebhookEndpoint, putWebhookEndpoint } from '../../delivery/webhook-settings.js';
import { TapedeckError } from '../../errors.js';
import { requireServer } from '../auth/auth-hook.js';
import { ERRORS, SECURITY } from './schemas.js';

const WEBHOOK_SCHEMA = {
  type: 'object',
  required: ['url', 'secret_set'],
  properties: {
    url: { type: ['string', 'null'] },
    secret_set: { type: 'boolean' },
    /** Only in the PUT response that set it. */
    secret: { type: 'string' },
    updated_at: { type: ['string', 'null'] },
  },
} as const;

export type AppRoutesDeps = {
  readonly db: Kysely<Schema>;
  /** Called after the endpoint changes (the dispatcher wakes up). */
  readonly onWebhookChanged?: () => void;
};

export function registerAppRoutes(app: FastifyInstance, deps: AppRoutesDeps): void {
  app.put<{ Body: { url: string; secret?: string } }>(
    '/v1/app/webhook',
    {
      schema: {
        summary:
          'set the webhook endpoint; a whsec_ secret is generated when none is given and returned once',
        tags: ['app'],
        security: SECURITY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2048 },
            secret: { type: 'string', pattern: '^whsec_' },
          },
        },
        response: { 200: { type: 'object', properties: { webhook: WEBHOOK_SCHEMA } }, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      let endpoint;
      try {
        endpoint = await putWebhookEndpoint(deps.db, {
          url: request.body.url,
          ...(request.body.secret !== undefined ? { secret: request.body.secret } : {}),
        });
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) {
          throw new TapedeckError('INVALID_ARGUMENT', error.message, { cause: error });
        }
        throw error;
      }
      deps.onWebhookChanged?.();
      return {
        webhook: {
          url: endpoint.url,
          secret_set: true,
          secret: endpoint.secret,
          updated_at: new Date(endpoint.updatedAtMs).toISOString(),
        },
      };
    },
  );

  app.get(
    '/v1/app/webhook',
    {
      schema: {
        summary: 'the webhook endpoint (the secret is never returned)',
        tags: ['app'],
        security: SECURITY,
        response: { 200: { type: 'object', properties: { webhook: WEBHOOK_SCHEMA } }, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      const endpoint = await getWebhookEndpoint(deps.db);
      return {
        webhook: {
          url: endpoint?.url ?? null,
          secret_set: endpoint !== undefined,
          updated_at: endpoint === undefined ? null : new Date(endpoint.updatedAtMs).toISOString(),
        },
      };
    },
  );
}
