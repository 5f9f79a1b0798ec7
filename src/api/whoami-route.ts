/** `GET /v1/whoami`: the principal the bearer token proves (snake_case JSON). */
import type { FastifyInstance } from 'fastify';
import { principalOf } from './auth/auth-hook.js';
import type { Principal } from './auth/principal.js';
import { ERROR_BODY_SCHEMA } from './error-handler.js';

export type PrincipalJson =
  | { readonly kind: 'server' }
  | { readonly kind: 'user'; readonly user_id: string; readonly call_cids?: readonly string[] };

export function principalJson(principal: Principal): PrincipalJson {
  if (principal.kind === 'server') return { kind: 'server' };
  return {
    kind: 'user',
    user_id: principal.userId,
    ...(principal.callCids !== undefined ? { call_cids: principal.callCids } : {}),
  };
}

export function registerWhoamiRoute(app: FastifyInstance): void {
  app.get(
    '/v1/whoami',
    {
      schema: {
        summary: 'the principal the bearer token proves',
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            required: ['principal'],
            properties: {
              principal: {
                type: 'object',
                required: ['kind'],
                properties: {
                  kind: { type: 'string', enum: ['server', 'user'] },
                  user_id: { type: 'string' },
                  call_cids: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
          401: ERROR_BODY_SCHEMA,
        },
      },
    },
    (request) => ({ principal: principalJson(principalOf(request)) }),
  );
}
