/** `POST/DELETE /v1/calls/{type}/{id}/rtp_tracks`: plain RTP/UDP ingest endpoints (server token). */
import type { FastifyInstance } from 'fastify';
import { TRACK_TYPES, type ApiTrackType, type CallService } from '../../calls/index.js';
import { requireServer } from '../auth/auth-hook.js';
import { trackJson } from './json.js';
import { CALL_PARAMS, ERRORS, ID_PATTERN, RTP_TRACK_SCHEMA, SECURITY } from './schemas.js';

type Body = { user_id: string; session_id: string; track_type: ApiTrackType; sdp: string };

export function registerRtpTrackRoutes(app: FastifyInstance, service: CallService): void {
  app.post<{ Params: { type: string; id: string }; Body: Body }>(
    '/v1/calls/:type/:id/rtp_tracks',
    {
      schema: {
        summary:
          'register an RTP track: returns where to send its RTP and RTCP (rtcp-mux accepted on the RTP port)',
        tags: ['ingest'],
        security: SECURITY,
        params: CALL_PARAMS,
        body: {
          type: 'object',
          required: ['user_id', 'session_id', 'track_type', 'sdp'],
          additionalProperties: false,
          properties: {
            user_id: { type: 'string', pattern: ID_PATTERN },
            session_id: { type: 'string', pattern: ID_PATTERN },
            track_type: { type: 'string', enum: [...TRACK_TYPES] },
            sdp: {
              type: 'string',
              minLength: 1,
              maxLength: 65536,
              description: 'the sender SDP (one m= section of the track kind)',
            },
          },
        },
        response: { 201: RTP_TRACK_SCHEMA, ...ERRORS },
      },
    },
    async (request, reply) => {
      requireServer(request);
      const { user_id: userId, session_id: sessionId, track_type: trackType, sdp } = request.body;
      const track = await service.addRtpTrack(request.params.type, request.params.id, {
        userId,
        sessionId,
        trackType,
        sdp,
      });
      return reply.status(201).send(trackJson(track));
    },
  );

  app.delete<{ Params: { type: string; id: string; track_id: string } }>(
    '/v1/calls/:type/:id/rtp_tracks/:track_id',
    {
      schema: {
        summary: 'remove an RTP track (closes its sockets; its segment ends)',
        tags: ['ingest'],
        security: SECURITY,
        params: {
          ...CALL_PARAMS,
          required: [...CALL_PARAMS.required, 'track_id'],
          properties: { ...CALL_PARAMS.properties, track_id: { type: 'string', maxLength: 128 } },
        },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (request, reply) => {
      requireServer(request);
      await service.removeRtpTrack(request.params.type, request.params.id, request.params.track_id);
      return reply.status(204).send();
    },
  );
}
