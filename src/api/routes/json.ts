/** Domain objects → the API's snake_case JSON. Times are RFC 3339. */
import type { FastifyRequest } from 'fastify';
import type { CallView, ExternalTrack, RecordingView, RtpTrack } from '../../calls/index.js';
import type { CallType, StoredEvent } from '../../db/index.js';
import type { FileLink } from '../../delivery/file-links.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** `http(s)://host[:port]` the request was addressed to. */
export function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function callTypeJson(type: CallType): object {
  return {
    name: type.name,
    settings: type.settings,
    grants: type.grants,
    external_storage: type.externalStorage,
    created_at: iso(type.createdAtMs),
    updated_at: iso(type.updatedAtMs),
  };
}

export function trackJson(track: RtpTrack): object {
  const stats = track.stats;
  return {
    track_id: track.trackId,
    user_id: track.userId,
    session_id: track.sessionId,
    track_type: track.description.trackType,
    kind: track.description.kind,
    codec: track.description.codec.mimeType,
    ingest: 'rtp',
    publishing: track.publishing,
    capturing: track.capturing,
    rtp: track.rtp,
    rtcp: track.rtcp,
    packets_received: stats.received,
    packets_accepted: stats.accepted,
  };
}

/** A WHIP (external) track, listed beside the RTP tracks: no UDP endpoint of its own. */
export function externalTrackJson(track: ExternalTrack): object {
  const { kind, codec } = track.description;
  return {
    track_id: track.trackId,
    user_id: track.userId,
    session_id: track.sessionId,
    track_type: track.apiTrackType,
    kind,
    codec: 'mimeType' in codec ? codec.mimeType : `${kind}/${codec.name}`,
    ingest: track.ingest,
    publishing: track.publishing,
    capturing: track.capturing,
  };
}

/** Participants → sessions → track ids, in the order tracks were added. */
function participantsJson(view: CallView): object[] {
  const users = new Map<string, Map<string, string[]>>();
  for (const t of [...view.tracks, ...view.externalTracks]) {
    const sessions = users.get(t.userId) ?? new Map<string, string[]>();
    users.set(t.userId, sessions);
    sessions.set(t.sessionId, [...(sessions.get(t.sessionId) ?? []), t.trackId]);
  }
  const roles = new Map(view.members.map((m) => [m.userId, m.role]));
  return [...users].map(([userId, sessions]) => ({
    user_id: userId,
    role: roles.get(userId) ?? null,
    sessions: [...sessions].map(([sessionId, trackIds]) => ({
      session_id: sessionId,
      track_ids: trackIds,
    })),
  }));
}

export function callJson(view: CallView): object {
  const { call, settings, activeRecording } = view;
  return {
    type: call.type,
    id: call.id,
    cid: call.cid,
    state: call.state,
    settings_override: call.settingsOverride,
    settings: { raw_recording: { mode: settings.mode, audio_only: settings.audioOnly } },
    created_at: iso(call.createdAtMs),
    ended_at: isoOrNull(call.endedAtMs),
    members: view.members.map((m) => ({ user_id: m.userId, role: m.role })),
    tracks: [...view.tracks.map(trackJson), ...view.externalTracks.map(externalTrackJson)],
    participants: participantsJson(view),
    recording:
      activeRecording === undefined
        ? { active: false }
        : { active: true, recording_id: activeRecording.id, status: activeRecording.status },
  };
}

export function recordingJson(view: RecordingView, origin: string): object {
  const { recording: r } = view;
  return {
    id: r.id,
    call_type: r.callType,
    call_id: r.callId,
    type: r.recordingType,
    status: r.status,
    started_at: iso(r.startedAtMs),
    stopped_at: isoOrNull(r.stoppedAtMs),
    error: r.errorCode === null ? null : { code: r.errorCode, message: r.errorMessage ?? '' },
    parts: view.parts.map((p) => ({
      part_number: p.partNumber,
      status: p.status,
      size: p.bytes,
      started_at: iso(p.startedAtMs),
      ended_at: isoOrNull(p.endedAtMs),
      interrupted: p.interrupted,
    })),
    files: view.files.map((f) => fileJson(f, origin)),
  };
}

/** A file link as the API shows it: relative (tapedeck's own) URLs get the request's origin. */
export function fileJson(f: FileLink, origin: string): object {
  const { url, expires_at: expiresAt, ...rest } = f;
  return {
    ...rest,
    ...(url !== undefined ? { url: url.startsWith('/') ? `${origin}${url}` : url } : {}),
    ...(expiresAt !== undefined
      ? { url_expires_at: new Date(expiresAt * 1000).toISOString() }
      : {}),
  };
}

export function eventJson(event: StoredEvent): object {
  return {
    id: event.id,
    seq: event.seq,
    type: event.type,
    call_cid: event.callCid,
    recording_id: event.recordingId,
    created_at: iso(event.createdAtMs),
    payload: event.payload,
  };
}
