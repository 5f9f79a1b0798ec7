/**
 * WHIP ingest routes (RFC 9725): one WHIP session is one participant session of a call,
 * and each of its m-sections a track of the call (recorded like an RTP track).
 *
 * ```
 * POST   /whip/{type}/{id}?session_id=&track_type=&user_id=   Content-Type: application/sdp
 *   ◀ 201  Content-Type: application/sdp, Location: /whip/{type}/{id}/{resource}, body = answer
 * DELETE /whip/{type}/{id}/{resource}
 *   ◀ 200  (the session's tracks leave the call; 404 when unknown)
 * ```
 *
 * Auth: a user token publishes as its own `user_id` (a different `?user_id=` is 403), only
 * to calls its `call_cids` allow, and only when the call type grants `PublishMedia` to
 * the user's role in the call (default role `user`). The server token may publish as any
 * `?user_id=` (required). DELETE needs the publishing user's token or the server token.
 *
 * `track_type` (repeatable or comma-separated) names the video m-sections' type (`camera`,
 * default, or `screenshare`) and the audio ones' (`microphone`, default, or
 * `screenshare_audio`). Errors: wrong Content-Type → 415; unusable offer → 400.
 *
 * @see RFC 9725 §4.2 (setup), §4.3 (teardown)
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallService } from '../../calls/index.js';
import {
  WHIP_TRACK_TYPES,
  WhipTrack,
  whipTrackKind,
  type WhipTrackType,
} from '../../calls/whip-track.js';
import { callCid, newId } from '../../db/index.js';
import { TapedeckError } from '../../errors.js';
import {
  SDP_CONTENT_TYPE,
  WhipSessionRegistry,
  handleWhipDelete,
  handleWhipPost,
  type WhipTrackInfo,
} from '../../ingest/whip/index.js';
import { principalOf } from '../auth/auth-hook.js';
import { errorBody } from '../error-handler.js';
import type { TapedeckMetrics } from '../metrics.js';
import { requireCapability } from './capabilities.js';
import { ID_PATTERN } from './schemas.js';

export type WhipRoutesOptions = {
  /** IPv4 address ICE listens on and advertises (config `rtpHost`); default 127.0.0.1. */
  readonly iceHost?: string;
  readonly metrics?: TapedeckMetrics;
};

type Query = { session_id?: string; user_id?: string; track_type?: string | string[] };
type Params = { type: string; id: string };

/** A live WHIP resource: who published it to which call, and its tracks. */
type Resource = {
  readonly type: string;
  readonly id: string;
  readonly userId: string;
  readonly tracks: WhipTrack[];
};

const PARAMS_SCHEMA = {
  type: 'object',
  required: ['type', 'id'],
  properties: {
    type: { type: 'string', pattern: ID_PATTERN },
    id: { type: 'string', pattern: ID_PATTERN },
    resource: { type: 'string', maxLength: 128 },
  },
} as const;

function trackTypes(raw: string | string[] | undefined): {
  video: WhipTrackType;
  audio: WhipTrackType;
} {
  const out: { video: WhipTrackType; audio: WhipTrackType } = {
    video: 'camera',
    audio: 'microphone',
  };
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const value of values) {
    if (!(WHIP_TRACK_TYPES as readonly string[]).includes(value)) {
      throw new TapedeckError(
        'INVALID_ARGUMENT',
        `track_type must be one of ${WHIP_TRACK_TYPES.join(', ')}, got ${value}`,
      );
    }
    const type = value as WhipTrackType;
    out[whipTrackKind(type)] = type;
  }
  return out;
}

/** The user the request publishes as, or FORBIDDEN / INVALID_ARGUMENT / NOT_FOUND. */
async function publisherOf(
  request: FastifyRequest<{ Params: Params; Querystring: Query }>,
  service: CallService,
): Promise<string> {
  const { type, id } = request.params;
  const principal = principalOf(request);
  const asked = request.query.user_id;
  if (principal.kind === 'server') {
    if (asked === undefined || !new RegExp(ID_PATTERN).test(asked))
      throw new TapedeckError('INVALID_ARGUMENT', 'the server token must name ?user_id=');
    await service.describeCall(type, id); // NOT_FOUND for an unknown call
    return asked;
  }
  const { userId } = principal;
  if (asked !== undefined && asked !== userId) {
    throw new TapedeckError(
      'FORBIDDEN',
      `user ${userId} may publish only as themselves, not as ${asked}`,
    );
  }
  await requireCapability(request, service, { type, id }, 'PublishMedia');
  return userId;
}

function unsupportedMediaType(reply: FastifyReply, contentType: string | undefined): FastifyReply {
  return reply
    .status(415)
    .send(
      errorBody(
        'INVALID_ARGUMENT',
        `WHIP offers must be ${SDP_CONTENT_TYPE}, got ${contentType ?? 'none'}`,
      ),
    );
}

export function registerWhipRoutes(
  app: FastifyInstance,
  service: CallService,
  options: WhipRoutesOptions = {},
): void {
  const iceHost =
    options.iceHost !== undefined && isIP(options.iceHost) === 4 && options.iceHost !== '0.0.0.0'
      ? options.iceHost
      : '127.0.0.1';
  const registry = new WhipSessionRegistry();
  const resources = new Map<string, Resource>();

  const end = async (resourceId: string): Promise<boolean> => {
    const resource = resources.get(resourceId);
    resources.delete(resourceId);
    const { status } = await handleWhipDelete(registry, resourceId);
    if (resource !== undefined) {
      await Promise.all(
        resource.tracks.map((t) =>
          service.removeExternalTrack(resource.type, resource.id, t.trackId),
        ),
      );
    }
    return status === 200;
  };

  app.addHook('onClose', async () => {
    await Promise.all([...resources.keys()].map((resourceId) => end(resourceId)));
    await registry.closeAll();
  });

  // The body parser lives in this encapsulated scope only.
  void app.register((scope, _options, done) => {
    // Every body reaches the handler as text, so a wrong Content-Type is always 415.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );

    scope.post<{ Params: Params; Querystring: Query; Body: unknown }>(
      '/whip/:type/:id',
      {
        schema: {
          summary: 'WHIP publish (RFC 9725): SDP offer in, SDP answer out',
          tags: ['ingest'],
          security: [{ bearer: [] }],
          params: PARAMS_SCHEMA,
        },
      },
      async (request, reply) => {
        const { type, id } = request.params;
        const contentType = request.headers['content-type'];
        const userId = await publisherOf(request, service);
        if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== SDP_CONTENT_TYPE)
          return unsupportedMediaType(reply, contentType);
        const types = trackTypes(request.query.track_type);
        const sessionId = request.query.session_id ?? newId();
        if (!new RegExp(ID_PATTERN).test(sessionId))
          throw new TapedeckError('INVALID_ARGUMENT', `session_id must match ${ID_PATTERN}`);
        if (typeof request.body !== 'string')
          throw new TapedeckError('INVALID_ARGUMENT', 'the WHIP offer must be an SDP body');

        const resource: Resource = { type, id, userId, tracks: [] };
        const sinkFor = (info: WhipTrackInfo): WhipTrack => {
          const track = new WhipTrack({
            trackId: newId(),
            userId,
            sessionId,
            info,
            trackType: types[info.kind],
            metrics: options.metrics,
            onCapture: () => {
              // A keyframe (PLI) whenever capture starts: the new segment starts decodable.
              for (const [resourceId, live] of resources)
                if (live === resource) registry.get(resourceId)?.requestKeyframe();
            },
          });
          resource.tracks.push(track);
          service.addExternalTrack(type, id, track).catch((error: unknown) => {
            request.log.warn({ err: error, call: callCid(type, id) }, 'WHIP track not added');
          });
          return track;
        };
        let result;
        try {
          result = await handleWhipPost(request.body, {
            registry,
            contentType,
            resourceBase: `/whip/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
            sinkFor,
            iceHost,
          });
        } catch (error) {
          if (
            error instanceof TapedeckError &&
            (error.code === 'SDP_INVALID' || error.code === 'UNSUPPORTED_CODEC')
          ) {
            throw new TapedeckError('INVALID_ARGUMENT', error.message, { cause: error });
          }
          throw error;
        }
        resources.set(result.session.id, resource);
        return reply
          .status(201)
          .header('content-type', result.contentType)
          .header('location', result.location)
          .send(result.answerSdp);
      },
    );

    scope.delete<{ Params: Params & { resource: string } }>(
      '/whip/:type/:id/:resource',
      {
        schema: {
          summary: 'end a WHIP session (its tracks leave the call)',
          tags: ['ingest'],
          security: [{ bearer: [] }],
          params: { ...PARAMS_SCHEMA, required: ['type', 'id', 'resource'] },
        },
      },
      async (request, reply) => {
        const { type, id, resource: resourceId } = request.params;
        const principal = principalOf(request);
        const resource = resources.get(resourceId);
        if (resource === undefined || resource.type !== type || resource.id !== id)
          throw new TapedeckError(
            'NOT_FOUND',
            `no WHIP session ${resourceId} in call ${callCid(type, id)}`,
          );
        if (principal.kind === 'user' && principal.userId !== resource.userId)
          throw new TapedeckError('FORBIDDEN', 'only the publisher may end this WHIP session');
        await end(resourceId);
        return reply.status(200).send();
      },
    );
    done();
  });
}
