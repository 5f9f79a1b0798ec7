/** Calls: get-or-create, update, end, describe, and their events (server token). */
import type { FastifyInstance } from 'fastify';
import type { CallService } from '../../calls/index.js';
import type { JsonObject } from '../../db/index.js';
import { requireServer } from '../auth/auth-hook.js';
import { callJson, eventJson } from './json.js';
import {
  CALL_PARAMS,
  CALL_SCHEMA,
  ERRORS,
  EVENT_SCHEMA,
  SECURITY,
  SETTINGS_SCHEMA,
} from './schemas.js';

type Params = { type: string; id: string };
type OverrideBody = { settings_override?: JsonObject };

const CALL_RESPONSE = {
  type: 'object',
  properties: { call: CALL_SCHEMA, created: { type: 'boolean' } },
} as const;
const OVERRIDE_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { settings_override: SETTINGS_SCHEMA },
} as const;

export function registerCallRoutes(app: FastifyInstance, service: CallService): void {
  app.post<{ Params: Params; Body: OverrideBody | undefined }>(
    '/v1/calls/:type/:id',
    {
      schema: {
        summary: 'get or create a call (settings_override applies only when created)',
        tags: ['calls'],
        security: SECURITY,
        params: CALL_PARAMS,
        body: OVERRIDE_BODY,
        response: { 200: CALL_RESPONSE, 201: CALL_RESPONSE, ...ERRORS },
      },
    },
    async (request, reply) => {
      requireServer(request);
      const override = request.body?.settings_override;
      const { view, created } = await service.getOrCreateCall(
        request.params.type,
        request.params.id,
        {
          ...(override !== undefined ? { settingsOverride: override } : {}),
        },
      );
      return reply.status(created ? 201 : 200).send({ call: callJson(view), created });
    },
  );

  app.patch<{ Params: Params; Body: OverrideBody }>(
    '/v1/calls/:type/:id',
    {
      schema: {
        summary: "replace a call's settings_override",
        tags: ['calls'],
        security: SECURITY,
        params: CALL_PARAMS,
        body: { ...OVERRIDE_BODY, required: ['settings_override'] },
        response: { 200: CALL_RESPONSE, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      const { type, id } = request.params;
      return {
        call: callJson(await service.updateCall(type, id, request.body.settings_override ?? {})),
      };
    },
  );

  app.post<{ Params: Params }>(
    '/v1/calls/:type/:id/end',
    {
      schema: {
        summary:
          'end a call: stops its recording (which is then finished and announced) and closes its tracks',
        tags: ['calls'],
        security: SECURITY,
        params: CALL_PARAMS,
        response: { 200: CALL_RESPONSE, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      return { call: callJson(await service.endCall(request.params.type, request.params.id)) };
    },
  );

  app.get<{ Params: Params }>(
    '/v1/calls/:type/:id',
    {
      schema: {
        summary: 'a call: state, members, tracks, recording state',
        tags: ['calls'],
        security: SECURITY,
        params: CALL_PARAMS,
        response: { 200: CALL_RESPONSE, ...ERRORS },
      },
    },
    async (request) => {
      requireServer(request);
      return { call: callJson(await service.describeCall(request.params.type, request.params.id)) };
    },
  );

  app.get<{ Params: Params; Querystring: { after_seq?: number } }>(
    '/v1/calls/:type/:id/events',
    {
      schema: {
        summary: "a call's events in order (call.recording_started, _stopped, _ready, _failed)",
        tags: ['calls'],
        security: SECURITY,
        params: CALL_PARAMS,
        querystring: { type: 'object', properties: { after_seq: { type: 'integer', minimum: 0 } } },
        response: {
          200: { type: 'object', properties: { events: { type: 'array', items: EVENT_SCHEMA } } },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      requireServer(request);
      const { type, id } = request.params;
      return {
        events: (await service.listEvents(type, id, request.query.after_seq ?? 0)).map(eventJson),
      };
    },
  );
}
