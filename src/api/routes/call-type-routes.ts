/** `PUT/GET /v1/call_types/{name}`, `GET /v1/call_types` (server token). */
import type { FastifyInstance } from 'fastify';
import type { CallService } from '../../calls/index.js';
import type { Grants, JsonObject } from '../../db/index.js';
import { requireServer } from '../auth/auth-hook.js';
import { callTypeJson } from './json.js';
import {
  CALL_TYPE_SCHEMA,
  ERRORS,
  GRANTS_SCHEMA,
  NAME_PATTERN,
  SECURITY,
  SETTINGS_SCHEMA,
} from './schemas.js';

const PARAMS = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: NAME_PATTERN } },
} as const;

export function registerCallTypeRoutes(app: FastifyInstance, service: CallService): void {
  app.put<{
    Params: { name: string };
    Body: { settings?: JsonObject; grants?: Grants; external_storage?: string | null };
  }>(
    '/v1/call_types/:name',
    {
      schema: {
        summary: 'create or update a call type',
        tags: ['call types'],
        security: SECURITY,
        params: PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            settings: SETTINGS_SCHEMA,
            grants: GRANTS_SCHEMA,
            external_storage: {
              type: ['string', 'null'],
              maxLength: 64,
              description:
                'storage recordings of this type go to unless a start names one; null = tapedeck-managed; omitted = unchanged',
            },
          },
        },
        response: {
          200: { type: 'object', properties: { call_type: CALL_TYPE_SCHEMA } },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      const type = await service.putCallType(request.params.name, {
        settings: request.body.settings ?? {},
        grants: request.body.grants ?? {},
        ...(request.body.external_storage !== undefined
          ? { externalStorage: request.body.external_storage }
          : {}),
      });
      return { call_type: callTypeJson(type) };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/call_types/:name',
    {
      schema: {
        summary: 'a call type',
        tags: ['call types'],
        security: SECURITY,
        params: PARAMS,
        response: {
          200: { type: 'object', properties: { call_type: CALL_TYPE_SCHEMA } },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      return { call_type: callTypeJson(await service.getCallType(request.params.name)) };
    },
  );

  app.get(
    '/v1/call_types',
    {
      schema: {
        summary: 'every call type',
        tags: ['call types'],
        security: SECURITY,
        response: {
          200: {
            type: 'object',
            properties: { call_types: { type: 'array', items: CALL_TYPE_SCHEMA } },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      return { call_types: (await service.listCallTypes()).map(callTypeJson) };
    },
  );
}
