/**
 * Recordings: start/stop by type (`raw` only so far), list a call's, get one; and the
 * signed, token-free file download `GET /v1/files/{recording_id}/{name}?expires&sig`.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { CallService } from '../../calls/index.js';
import { requireServer } from '../auth/auth-hook.js';
import { requireCapability } from './capabilities.js';
import { ERROR_BODY_SCHEMA } from '../error-handler.js';
import type { Kysely } from 'kysely';
import { fetchRecordingFiles } from '../../calls/recording-files.js';
import type { Schema } from '../../db/index.js';
import { retryDelivery } from '../../delivery/retry-delivery.js';
import type { StorageService } from '../../storage/storage-service.js';
import { fileJson, originOf, recordingJson } from './json.js';
import { CALL_PARAMS, ERRORS, FILE_SCHEMA, RECORDING_SCHEMA, SECURITY } from './schemas.js';

const RECORDING_PARAMS = {
  type: 'object',
  required: ['recording_id'],
  properties: { recording_id: { type: 'string', maxLength: 128 } },
} as const;

type Params = { type: string; id: string; recording_type: 'raw' };

const START_STOP_PARAMS = {
  ...CALL_PARAMS,
  required: [...CALL_PARAMS.required, 'recording_type'],
  properties: { ...CALL_PARAMS.properties, recording_type: { type: 'string', enum: ['raw'] } },
} as const;

const ONE = { type: 'object', properties: { recording: RECORDING_SCHEMA } } as const;

type StartBody = { external_storage?: string; transcription_external_storage?: string } | null;

export type RecordingRouteDeps = {
  /** Fetch links and retry_delivery. */
  readonly db: Kysely<Schema>;
  readonly storage: StorageService;
  /** Wakes the delivery worker after retry_delivery. */
  readonly onRetry?: () => void;
};

export function registerRecordingRoutes(
  app: FastifyInstance,
  service: CallService,
  deps: RecordingRouteDeps,
): void {
  app.post<{ Params: Params; Body: StartBody }>(
    '/v1/calls/:type/:id/recordings/:recording_type/start',
    {
      schema: {
        summary:
          'start recording the call (409 when the mode is disabled or it already records; 400 for an unknown external_storage)',
        tags: ['recordings'],
        security: SECURITY,
        params: START_STOP_PARAMS,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            external_storage: {
              type: 'string',
              maxLength: 64,
              description: "storage to write to (else the call type's, else tapedeck-managed)",
            },
            transcription_external_storage: { type: 'string', maxLength: 64 },
          },
        },
        response: { 201: ONE, ...ERRORS },
      },
    },
    async (request, reply) => {
      await requireCapability(request, service, request.params, 'StartRecording');
      const body = request.body ?? {};
      const recording = await service.startRecording(request.params.type, request.params.id, {
        ...(body.external_storage !== undefined ? { externalStorage: body.external_storage } : {}),
        ...(body.transcription_external_storage !== undefined
          ? { transcriptionExternalStorage: body.transcription_external_storage }
          : {}),
      });
      const view = await service.getRecording(recording.id);
      return reply.status(201).send({ recording: recordingJson(view, originOf(request)) });
    },
  );

  app.post<{ Params: Params }>(
    '/v1/calls/:type/:id/recordings/:recording_type/stop',
    {
      schema: {
        summary:
          'stop recording; the archive is then finished and announced (status → ready or failed)',
        tags: ['recordings'],
        security: SECURITY,
        params: START_STOP_PARAMS,
        response: { 200: ONE, ...ERRORS },
      },
    },
    async (request) => {
      await requireCapability(request, service, request.params, 'StopRecording');
      const recording = await service.stopRecording(request.params.type, request.params.id);
      return {
        recording: recordingJson(await service.getRecording(recording.id), originOf(request)),
      };
    },
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/v1/calls/:type/:id/recordings',
    {
      schema: {
        summary: "a call's recordings with parts, files, sizes and signed download URLs",
        tags: ['recordings'],
        security: SECURITY,
        params: CALL_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: { recordings: { type: 'array', items: RECORDING_SCHEMA } },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      const views = await service.listRecordings(request.params.type, request.params.id);
      return { recordings: views.map((v) => recordingJson(v, originOf(request))) };
    },
  );

  app.get<{ Params: { recording_id: string } }>(
    '/v1/recordings/:recording_id',
    {
      schema: {
        summary: 'a recording',
        tags: ['recordings'],
        security: SECURITY,
        params: {
          type: 'object',
          required: ['recording_id'],
          properties: { recording_id: { type: 'string', maxLength: 128 } },
        },
        response: { 200: ONE, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      return {
        recording: recordingJson(
          await service.getRecording(request.params.recording_id),
          originOf(request),
        ),
      };
    },
  );

  app.get<{ Params: { recording_id: string } }>(
    '/v1/recordings/:recording_id/files',
    {
      schema: {
        summary:
          "a recording's files with short-lived download URLs (403 with access_mode and locations for write_only storage; 404 when none was written)",
        tags: ['recordings'],
        security: SECURITY,
        params: RECORDING_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: {
              recording_id: { type: 'string' },
              files: { type: 'array', items: FILE_SCHEMA },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      const { recording, files } = await fetchRecordingFiles(
        deps.db,
        { signer: service.signer, storage: deps.storage },
        request.params.recording_id,
      );
      return {
        recording_id: recording.id,
        files: files.map((f) => fileJson(f, originOf(request))),
      };
    },
  );

  app.post<{ Params: { recording_id: string } }>(
    '/v1/recordings/:recording_id/retry_delivery',
    {
      schema: {
        summary:
          'queue a copy_failed recording for delivery again (its archive is kept in managed storage for the recovery window)',
        tags: ['recordings'],
        security: SECURITY,
        params: RECORDING_PARAMS,
        response: { 202: ONE, ...ERRORS },
      },
    },
    async (request, reply) => {
      requireServer(request);
      const recording = await retryDelivery(deps.db, request.params.recording_id);
      deps.onRetry?.();
      return reply.status(202).send({
        recording: recordingJson(await service.getRecording(recording.id), originOf(request)),
      });
    },
  );

  app.get<{
    Params: { recording_id: string; name: string };
    Querystring: { expires: string; sig: string };
  }>(
    '/v1/files/:recording_id/:name',
    {
      config: { public: true },
      schema: {
        summary:
          'download a recording file through its signed URL (no token; 403 when the signature is bad or expired)',
        tags: ['recordings'],
        params: {
          type: 'object',
          required: ['recording_id', 'name'],
          properties: {
            recording_id: { type: 'string', maxLength: 128 },
            name: { type: 'string', maxLength: 200 },
          },
        },
        querystring: {
          type: 'object',
          required: ['expires', 'sig'],
          properties: {
            expires: { type: 'string', maxLength: 16 },
            sig: { type: 'string', maxLength: 128 },
          },
        },
        response: { 403: ERROR_BODY_SCHEMA, 404: ERROR_BODY_SCHEMA },
      },
    },
    async (request, reply) => {
      const { recording_id: recordingId, name } = request.params;
      const file = await service.resolveDownload(
        recordingId,
        name,
        request.query.expires,
        request.query.sig,
      );
      return reply
        .header('content-type', 'application/zip')
        .header('content-length', String(file.sizeBytes))
        .header('content-disposition', `attachment; filename="${file.name}"`)
        .send(createReadStream(file.absolutePath));
    },
  );
}
