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
import { originOf, recordingJson } from './json.js';
import { CALL_PARAMS, ERRORS, RECORDING_SCHEMA, SECURITY } from './schemas.js';

type Params = { type: string; id: string; recording_type: 'raw' };

const START_STOP_PARAMS = {
  ...CALL_PARAMS,
  required: [...CALL_PARAMS.required, 'recording_type'],
  properties: { ...CALL_PARAMS.properties, recording_type: { type: 'string', enum: ['raw'] } },
} as const;

const ONE = { type: 'object', properties: { recording: RECORDING_SCHEMA } } as const;

export function registerRecordingRoutes(app: FastifyInstance, service: CallService): void {
  app.post<{ Params: Params }>(
    '/v1/calls/:type/:id/recordings/:recording_type/start',
    {
      schema: {
        summary: 'start recording the call (409 when the mode is disabled or it already records)',
        tags: ['recordings'],
        security: SECURITY,
        params: START_STOP_PARAMS,
        response: { 201: ONE, ...ERRORS },
      },
    },
    async (request, reply) => {
      await requireCapability(request, service, request.params, 'StartRecording');
      const recording = await service.startRecording(request.params.type, request.params.id);
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
