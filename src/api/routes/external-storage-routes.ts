/**
 * `/v1/external_storage`: customers' buckets (server token only).
 *
 * ```text
 * POST   /v1/external_storage               create (validated live; 400 names the cause; nothing saved on failure)
 * GET    /v1/external_storage               list (with the managed default, tapedeck-managed)
 * GET    /v1/external_storage/{name}        one
 * PUT    /v1/external_storage/{name}        update (validated again; omitted secrets are kept)
 * DELETE /v1/external_storage/{name}        forget (files already written are never deleted)
 * POST   /v1/external_storage/{name}/check  validate again
 * ```
 * No response carries a credential: views say `…_set: true` instead.
 */
import type { FastifyInstance } from 'fastify';
import type { StorageService } from '../../storage/storage-service.js';
import { requireServer } from '../auth/auth-hook.js';
import { ERRORS, SECURITY } from './schemas.js';

const NAME_PARAMS = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 64 } },
} as const;

/** Views are free-form objects (the shape differs per provider); secrets never appear. */
const STORAGE_VIEW = { type: 'object', additionalProperties: true } as const;

const BODY = {
  type: 'object',
  description:
    'name, storage_type (s3|gcs|abs), bucket, path, access_mode (read_write|write_only), prefixes {audio,video,transcript,metadata}, key_template, and aws_s3 {…} | gcs_credentials / gcs_federation | abs_* (see the README); the flat legacy form (provider, bucket, region, …) is accepted too',
  additionalProperties: true,
} as const;

const ONE = {
  type: 'object',
  properties: {
    external_storage: STORAGE_VIEW,
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

export function registerExternalStorageRoutes(app: FastifyInstance, storage: StorageService): void {
  app.post<{ Body: unknown }>(
    '/v1/external_storage',
    {
      schema: {
        summary: 'configure a bucket recordings can be written to (checked live before saving)',
        tags: ['external storage'],
        security: SECURITY,
        body: BODY,
        response: { 201: ONE, ...ERRORS },
      },
    },
    async (request, reply) => {
      requireServer(request);
      const { storage: view, warnings } = await storage.create(request.body);
      return reply.status(201).send({ external_storage: view, warnings });
    },
  );

  app.get(
    '/v1/external_storage',
    {
      schema: {
        summary: 'every storage configuration, the managed default first',
        tags: ['external storage'],
        security: SECURITY,
        response: {
          200: {
            type: 'object',
            properties: { external_storage: { type: 'array', items: STORAGE_VIEW } },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      return { external_storage: await storage.list() };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/external_storage/:name',
    {
      schema: {
        summary: 'one storage configuration (never its credentials)',
        tags: ['external storage'],
        security: SECURITY,
        params: NAME_PARAMS,
        response: { 200: ONE, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      return { external_storage: await storage.get(request.params.name) };
    },
  );

  app.put<{ Params: { name: string }; Body: unknown }>(
    '/v1/external_storage/:name',
    {
      schema: {
        summary:
          'update a storage configuration (checked live again; omitted credentials are kept)',
        tags: ['external storage'],
        security: SECURITY,
        params: NAME_PARAMS,
        body: BODY,
        response: { 200: ONE, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      const { storage: view, warnings } = await storage.update(request.params.name, request.body);
      return { external_storage: view, warnings };
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/v1/external_storage/:name',
    {
      schema: {
        summary:
          'forget a storage configuration; files already written stay, and stay fetchable while access allows',
        tags: ['external storage'],
        security: SECURITY,
        params: NAME_PARAMS,
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (request, reply) => {
      requireServer(request);
      await storage.remove(request.params.name);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { name: string } }>(
    '/v1/external_storage/:name/check',
    {
      schema: {
        summary: 'run the validation again (read_write: bucket check; write_only: probe writes)',
        tags: ['external storage'],
        security: SECURITY,
        params: NAME_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              name: { type: 'string' },
              access_mode: { type: 'string' },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      return { ok: true, ...(await storage.check(request.params.name)) };
    },
  );
}
