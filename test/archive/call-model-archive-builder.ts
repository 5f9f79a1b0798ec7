/**
 * Writes small raw archives for call model tests: timing metadata through
 * serializeTimingMetadata, SDPs through buildRecordingSdp, and rtpdump files holding just
 * the rtptools text line and file header (the call model never reads them).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { serializeTimingMetadata } from '../../src/archive/timing-metadata.js';
import type { SegmentTiming, SessionTiming, TrackType } from '../../src/archive/types.js';
import { buildRecordingSdp } from '../../src/sdp/build-recording-sdp.js';

export const CALL_START_MS = Date.UTC(2024, 4, 1, 10, 0, 0);

export type SegmentSpec = {
  readonly base: string;
  readonly kind: 'audio' | 'video';
  readonly trackId: string;
  readonly trackType?: TrackType;
  /** Arrival of the first packet, ms after the call start. */
  readonly startMs: number;
  /** Where the media files go, relative to the root. Default: the session's folder. */
  readonly mediaFolder?: string;
  /** Skip writing the .rtpdump / .sdp. */
  readonly omit?: 'rtpdump' | 'sdp';
};

export type SessionSpec = {
  readonly userId: string;
  readonly sessionId: string;
  readonly callId?: string;
  readonly callStartMs?: number;
  /** Folder of the metadata, relative to the root. Default `<userId>/<sessionId>`. */
  readonly folder?: string;
  /** Default `timing_metadata.json`. */
  readonly metadataName?: string;
  readonly segments: readonly SegmentSpec[];
};

const RTPDUMP_HEAD = new Uint8Array([
  ...new TextEncoder().encode('#!rtpplay1.0 127.0.0.1/5004\n'),
  ...new Uint8Array(16),
]);

export function segmentTiming(spec: SegmentSpec, callStartMs: number): SegmentTiming {
  const video = spec.kind === 'video';
  const first = callStartMs + spec.startMs;
  return {
    baseFilename: spec.base,
    codec: video ? 'video/VP8' : 'audio/opus',
    trackId: spec.trackId,
    trackType: spec.trackType ?? (video ? 'TRACK_TYPE_VIDEO' : 'TRACK_TYPE_AUDIO'),
    firstRtpRtpTimestamp: 1000,
    lastRtpRtpTimestamp: 1000 + (video ? 90_000 : 48_000) * 10,
    firstRtpUnixTimestamp: first,
    lastRtpUnixTimestamp: first + 10_000,
    firstRtcpRtpTimestamp: 1000 + (video ? 90_000 : 48_000),
    firstRtcpNtpTimestamp: first + 1000,
    lastRtcpRtpTimestamp: undefined,
    lastRtcpNtpTimestamp: undefined,
    firstKeyFrameOffsetMs: video ? 40 : undefined,
    maxFrameDimension: video ? { width: 640, height: 480 } : undefined,
    ssrc: undefined,
  };
}

async function put(root: string, rel: string, content: string | Uint8Array): Promise<void> {
  const file = path.join(root, ...rel.split('/'));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

/** Writes the sessions' metadata and media under root. */
export async function writeArchive(root: string, sessions: readonly SessionSpec[]): Promise<void> {
  for (const spec of sessions) {
    const callStartMs = spec.callStartMs ?? CALL_START_MS;
    const folder = spec.folder ?? `${spec.userId}/${spec.sessionId}`;
    const timings = spec.segments.map((s) => segmentTiming(s, callStartMs));
    const session: SessionTiming = {
      callType: 'default',
      callId: spec.callId ?? 'call-1',
      callSessionId: 'cs-1',
      callStartTime: new Date(callStartMs).toISOString(),
      callStartMs,
      callEndTime: undefined,
      participantId: spec.userId,
      userSessionId: spec.sessionId,
      segments: {
        audio: timings.filter((_, i) => spec.segments[i]?.kind === 'audio'),
        video: timings.filter((_, i) => spec.segments[i]?.kind === 'video'),
      },
    };
    const prefix = folder === '' ? '' : `${folder}/`;
    await put(
      root,
      `${prefix}${spec.metadataName ?? 'timing_metadata.json'}`,
      serializeTimingMetadata(session),
    );
    for (const segment of spec.segments) {
      const mediaFolder = segment.mediaFolder ?? folder;
      const mediaPrefix = mediaFolder === '' ? '' : `${mediaFolder}/`;
      if (segment.omit !== 'rtpdump')
        await put(root, `${mediaPrefix}${segment.base}.rtpdump`, RTPDUMP_HEAD);
      if (segment.omit !== 'sdp') {
        const sdp =
          segment.kind === 'audio'
            ? buildRecordingSdp({
                kind: 'audio',
                codec: 'opus',
                payloadType: 111,
                clockRate: 48000,
                fmtp: { 'sprop-stereo': '1' },
              })
            : buildRecordingSdp({ kind: 'video', codec: 'VP8', payloadType: 96, clockRate: 90000 });
        await put(root, `${mediaPrefix}${segment.base}.sdp`, sdp);
      }
    }
  }
}
