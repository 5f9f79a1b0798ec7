/**
 * Planning a capture (see ffmpeg-rtp-capture.ts): participants' track specs become ffmpeg
 * jobs with every default applied (file names numbered per session and kind, track ids,
 * payload types, SSRCs hashed from the names) and a command line builder that only waits
 * for the ports. Validates the specs; errors name the option.
 */
import type { TrackType } from '../../src/archive/types.js';
import {
  avSyncGraph,
  DEFAULT_AUDIO_INPUT,
  DEFAULT_PAYLOAD_TYPE,
  DEFAULT_VIDEO_INPUT,
  encoderArgs,
  FFMPEG_PREAMBLE,
  lavfiInputArgs,
  rtpOutputArgs,
  type CaptureCodec,
  type VideoCodec,
} from './ffmpeg-rtp-args.js';

/** One track sent by its own ffmpeg process. */
export type CaptureTrackSpec = {
  readonly kind: 'audio' | 'video';
  /** 'opus' for audio; 'VP8' | 'VP9' | 'H264' for video. */
  readonly codec: CaptureCodec;
  /** Default TRACK_TYPE_AUDIO / TRACK_TYPE_VIDEO by kind. */
  readonly trackType?: TrackType;
  /** Default `<sessionId>-<baseFilename>`. */
  readonly trackId?: string;
  /**
   * lavfi source graph. Default `sine=frequency=440:sample_rate=48000` (audio),
   * `testsrc2=size=640x360:rate=30` (video).
   */
  readonly lavfiInput?: string;
  /** Media seconds sent (the source is cut with `-t`), > 0. */
  readonly durationSec: number;
  /** Start this track's ffmpeg this long after the capture starts. Default 0. */
  readonly startDelayMs?: number;
  /** Default 32 (audio), 500 (video). */
  readonly bitrateKbps?: number;
  /** Default 111 (opus), 96 (VP8), 98 (VP9), 102 (H264). */
  readonly payloadType?: number;
  /** Default: a hash of user, session and base file name. */
  readonly ssrc?: number;
  /** Video: frames between keyframes. Default 60. */
  readonly keyframeIntervalFrames?: number;
};

/** Beeps and white flashes at the same instants from one ffmpeg (two RTP outputs). */
export type AvSyncSpec = {
  /** Source seconds (audio length; the video is `videoDelayMs` shorter), > videoDelayMs. */
  readonly durationSec: number;
  /** Video output starts this much source time after the audio (output `-ss`). Default 500. */
  readonly videoDelayMs?: number;
  /** Beep/flash period. Default 1000. */
  readonly beepIntervalMs?: number;
  /** Beep/flash length. Default 50. */
  readonly beepMs?: number;
  /** Default 1000. */
  readonly beepHz?: number;
  /** Default 'VP8'. */
  readonly videoCodec?: VideoCodec;
  /** Default 640×360 at 30 fps. */
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  /** Start this process this long after the capture starts. Default 0. */
  readonly startDelayMs?: number;
  readonly audioTrackId?: string;
  readonly videoTrackId?: string;
};

export type CaptureParticipantSpec = {
  readonly userId: string;
  readonly sessionId: string;
  readonly tracks?: readonly CaptureTrackSpec[];
  /** Adds an audio and a video track (after `tracks` in file numbering). */
  readonly avSync?: AvSyncSpec;
};

/** A track with every default applied. */
export type PlannedTrack = {
  readonly userId: string;
  readonly sessionId: string;
  readonly kind: 'audio' | 'video';
  readonly codec: CaptureCodec;
  readonly trackType: TrackType;
  readonly trackId: string;
  readonly baseFilename: string;
  readonly payloadType: number;
  readonly ssrc: number;
  readonly bitrateKbps: number;
  readonly keyframeIntervalFrames: number;
};

/** One ffmpeg process: one track, or the two outputs of an A/V sync fixture. */
export type PlannedJob = {
  readonly tracks: readonly PlannedTrack[];
  readonly startDelayMs: number;
  readonly durationSec: number;
  /** Builds the command line once ports and the SDP path are known. */
  readonly args: (ports: readonly number[], sdpPath: string, sendBye: boolean) => string[];
};

/** FNV-1a of `text`, as a non-zero 32-bit SSRC. */
function hashSsrc(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h === 0 ? 1 : h;
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

export function checkId(name: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9._-]+$/.test(value) ||
    value === '.' ||
    value === '..'
  ) {
    throw new TypeError(
      `${name} must be a non-empty id of letters, digits, . _ -, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Applies defaults and validates one participant; errors name the option. */
export function planParticipant(p: CaptureParticipantSpec, i: number): PlannedJob[] {
  const where = `options.participants[${i}]`;
  const userId = checkId(`${where}.userId`, p.userId);
  const sessionId = checkId(`${where}.sessionId`, p.sessionId);
  const counters = { audio: 0, video: 0 };
  const nextName = (kind: 'audio' | 'video'): string => `${kind}_${++counters[kind]}`;
  const jobs: PlannedJob[] = [];
  const track = (
    kind: 'audio' | 'video',
    codec: CaptureCodec,
    extra: Partial<
      Pick<
        PlannedTrack,
        'trackType' | 'trackId' | 'payloadType' | 'ssrc' | 'bitrateKbps' | 'keyframeIntervalFrames'
      >
    >,
  ): PlannedTrack => {
    const baseFilename = nextName(kind);
    return {
      userId,
      sessionId,
      kind,
      codec,
      baseFilename,
      trackType: extra.trackType ?? (kind === 'audio' ? 'TRACK_TYPE_AUDIO' : 'TRACK_TYPE_VIDEO'),
      trackId: extra.trackId ?? `${sessionId}-${baseFilename}`,
      payloadType: extra.payloadType ?? DEFAULT_PAYLOAD_TYPE[codec],
      ssrc: extra.ssrc ?? hashSsrc(`${userId}/${sessionId}/${baseFilename}`),
      bitrateKbps: extra.bitrateKbps ?? (kind === 'audio' ? 32 : 500),
      keyframeIntervalFrames: extra.keyframeIntervalFrames ?? 60,
    };
  };

  (p.tracks ?? []).forEach((t, j) => {
    const at = `${where}.tracks[${j}]`;
    if (t.kind !== 'audio' && t.kind !== 'video')
      throw new TypeError(`${at}.kind must be 'audio' or 'video'`);
    const audio = t.kind === 'audio';
    if (audio ? t.codec !== 'opus' : !['VP8', 'VP9', 'H264'].includes(t.codec)) {
      throw new TypeError(
        `${at}.codec must be ${audio ? "'opus'" : "'VP8', 'VP9' or 'H264'"}, got ${String(t.codec)}`,
      );
    }
    const durationSec = positive(`${at}.durationSec`, t.durationSec);
    const planned = track(t.kind, t.codec, {
      ...(t.trackType !== undefined ? { trackType: t.trackType } : {}),
      ...(t.trackId !== undefined ? { trackId: checkId(`${at}.trackId`, t.trackId) } : {}),
      ...(t.payloadType !== undefined ? { payloadType: t.payloadType } : {}),
      ...(t.ssrc !== undefined ? { ssrc: t.ssrc } : {}),
      ...(t.bitrateKbps !== undefined
        ? { bitrateKbps: positive(`${at}.bitrateKbps`, t.bitrateKbps) }
        : {}),
      ...(t.keyframeIntervalFrames !== undefined
        ? {
            keyframeIntervalFrames: nonNegativeInt(
              `${at}.keyframeIntervalFrames`,
              t.keyframeIntervalFrames,
            ),
          }
        : {}),
    });
    const graph = t.lavfiInput ?? (audio ? DEFAULT_AUDIO_INPUT : DEFAULT_VIDEO_INPUT);
    jobs.push({
      tracks: [planned],
      startDelayMs: nonNegativeInt(`${at}.startDelayMs`, t.startDelayMs ?? 0),
      durationSec,
      args: ([port], sdpPath, sendBye) => [
        ...FFMPEG_PREAMBLE,
        ...lavfiInputArgs(graph, durationSec),
        '-map',
        audio ? '0:a' : '0:v',
        ...encoderArgs(planned),
        '-sdp_file',
        sdpPath,
        // Sender reports on the capture clock (the moment this sender was started), as a
        // WebRTC sender's are; without it ffmpeg anchors them when its output opens, after
        // an encoder start-up that varies with machine load. See the avSync job below.
        '-start_time_realtime',
        String(Date.now() * 1000),
        ...rtpOutputArgs({
          payloadType: planned.payloadType,
          ssrc: planned.ssrc,
          port: port!,
          sendBye,
        }),
      ],
    });
  });

  if (p.avSync !== undefined) {
    const s = p.avSync;
    const at = `${where}.avSync`;
    const durationSec = positive(`${at}.durationSec`, s.durationSec);
    const videoDelayMs = nonNegativeInt(`${at}.videoDelayMs`, s.videoDelayMs ?? 500);
    if (videoDelayMs >= durationSec * 1000)
      throw new RangeError(`${at}.videoDelayMs must be less than durationSec`);
    const frameRate = positive(`${at}.frameRate`, s.frameRate ?? 30);
    const graph = avSyncGraph({
      width: nonNegativeInt(`${at}.width`, s.width ?? 640),
      height: nonNegativeInt(`${at}.height`, s.height ?? 360),
      frameRate,
      beepIntervalMs: positive(`${at}.beepIntervalMs`, s.beepIntervalMs ?? 1000),
      beepMs: positive(`${at}.beepMs`, s.beepMs ?? 50),
      beepHz: positive(`${at}.beepHz`, s.beepHz ?? 1000),
    });
    const videoCodec = s.videoCodec ?? 'VP8';
    const audio = track(
      'audio',
      'opus',
      s.audioTrackId !== undefined
        ? { trackId: checkId(`${at}.audioTrackId`, s.audioTrackId) }
        : {},
    );
    const video = track('video', videoCodec, {
      keyframeIntervalFrames: Math.round(frameRate * 2),
      ...(s.videoTrackId !== undefined
        ? { trackId: checkId(`${at}.videoTrackId`, s.videoTrackId) }
        : {}),
    });
    jobs.push({
      tracks: [audio, video],
      startDelayMs: nonNegativeInt(`${at}.startDelayMs`, s.startDelayMs ?? 0),
      durationSec,
      // ffmpeg's RTP muxer otherwise stamps its sender reports with the wall clock of the
      // moment each output opened (after its encoder's start-up latency), unlike a WebRTC
      // sender, whose reports follow the capture clock. `-start_time_realtime` gives both
      // outputs one capture clock: the wall time of their PTS 0, the video's `videoDelayMs` later.
      args: ([audioPort, videoPort], sdpPath, sendBye) => {
        const originUs = Date.now() * 1000;
        return [
          ...FFMPEG_PREAMBLE,
          ...lavfiInputArgs(graph, durationSec),
          '-sdp_file',
          sdpPath,
          '-map',
          '0:a',
          ...encoderArgs(audio),
          '-start_time_realtime',
          String(originUs),
          ...rtpOutputArgs({
            payloadType: audio.payloadType,
            ssrc: audio.ssrc,
            port: audioPort!,
            sendBye,
          }),
          '-map',
          '0:v',
          '-ss',
          String(videoDelayMs / 1000),
          ...encoderArgs(video),
          '-start_time_realtime',
          String(originUs + videoDelayMs * 1000),
          ...rtpOutputArgs({
            payloadType: video.payloadType,
            ssrc: video.ssrc,
            port: videoPort!,
            sendBye,
          }),
        ];
      },
    });
  }
  if (jobs.length === 0) throw new RangeError(`${where} has no tracks and no avSync`);
  return jobs;
}
