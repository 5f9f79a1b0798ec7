/**
 * Real raw call archives from a real RTP sender: for each track, ffmpeg encodes a lavfi
 * test source in real time (`-re`) and sends it as RTP to a UDP socket pair on 127.0.0.1
 * (RTP to an even port P, sender reports to P + 1); every datagram is written with its
 * arrival time into an rtpdump (RTCP records included), ffmpeg's SDP is kept next to it,
 * and each session gets a `timing_metadata.json` computed from what was captured:
 *
 * ```
 * <dir>/<userId>/<sessionId>/audio_1.rtpdump audio_1.sdp video_1.rtpdump video_1.sdp timing_metadata.json
 * ```
 *
 * All tracks run concurrently (one ffmpeg per track, started `startDelayMs` late), so a
 * capture of N seconds takes about N seconds plus ffmpeg's start-up. An A/V sync fixture
 * (`avSync`) runs one ffmpeg with two outputs that share its clock: audio beeps and video
 * frames that flash white at the same instants, the video output starting a known time
 * after the audio.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SegmentTiming, SessionTiming, TrackType } from '../../src/archive/types.js';
import { serializeTimingMetadata } from '../../src/archive/timing-metadata.js';
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
import { runFfmpeg } from './run-ffmpeg.js';
import { RtpTrackRecorder, type RecordedTrackStats } from './rtp-track-recorder.js';
import { extractSdpMediaSection } from './sdp-media-section.js';
import { bindUdpPortPair, type UdpPortPair } from './udp-port-pair.js';

export type { CaptureCodec, VideoCodec } from './ffmpeg-rtp-args.js';

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

export type CaptureOptions = {
  /** Archive root; session folders are created under it. */
  readonly dir: string;
  readonly participants: readonly CaptureParticipantSpec[];
  /** Default 'default'. */
  readonly callType?: string;
  /** Default 'capture-call'. */
  readonly callId?: string;
  /** Default 'capture-call-session'. */
  readonly callSessionId?: string;
  /** Default: the capture's start (integer Unix ms). */
  readonly callStartMs?: number;
  /** Ask ffmpeg for a final SR + BYE (`-rtpflags send_bye`). Default true. */
  readonly sendBye?: boolean;
  /** Each ffmpeg is killed after its duration + delay + this. Default 30 000. */
  readonly timeoutMarginMs?: number;
  /** Wait after the last ffmpeg exits for datagrams still in flight. Default 200. */
  readonly drainMs?: number;
  readonly ffmpegPath?: string;
  readonly signal?: AbortSignal;
};

export type CapturedTrack = {
  readonly userId: string;
  readonly sessionId: string;
  readonly kind: 'audio' | 'video';
  readonly codec: CaptureCodec;
  readonly trackType: TrackType;
  readonly trackId: string;
  readonly baseFilename: string;
  readonly rtpdumpPath: string;
  readonly sdpPath: string;
  readonly payloadType: number;
  readonly ssrc: number;
  readonly timing: SegmentTiming;
  readonly stats: RecordedTrackStats;
};

export type CapturedSession = {
  readonly userId: string;
  readonly sessionId: string;
  readonly metadataPath: string;
  readonly timing: SessionTiming;
};

export type CaptureResult = {
  readonly root: string;
  readonly callStartMs: number;
  readonly sessions: readonly CapturedSession[];
  readonly tracks: readonly CapturedTrack[];
};

type PlannedTrack = Omit<CapturedTrack, 'timing' | 'stats' | 'rtpdumpPath' | 'sdpPath'> & {
  readonly bitrateKbps: number;
  readonly keyframeIntervalFrames: number;
};

type PlannedJob = {
  readonly tracks: readonly PlannedTrack[];
  readonly startDelayMs: number;
  readonly durationSec: number;
  /** Builds the command line once ports and the SDP path are known. */
  readonly args: (ports: readonly number[], sdpPath: string, sendBye: boolean) => string[];
};

const clock = (): number => Math.floor(performance.timeOrigin + performance.now());

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

function checkId(name: string, value: unknown): string {
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

function planParticipant(p: CaptureParticipantSpec, i: number): PlannedJob[] {
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

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type LiveTrack = {
  readonly plan: PlannedTrack;
  readonly ports: UdpPortPair;
  readonly recorder: RtpTrackRecorder;
  readonly rtpdumpPath: string;
  readonly sdpPath: string;
};

/**
 * Captures every participant's tracks concurrently and writes the archive under
 * `options.dir`. Rejects (after stopping every ffmpeg it started and closing every
 * socket) when an ffmpeg fails or a captured packet does not parse.
 */
export async function captureWithFfmpeg(options: CaptureOptions): Promise<CaptureResult> {
  if (typeof options.dir !== 'string' || options.dir === '')
    throw new TypeError('options.dir must be a path');
  if (!Array.isArray(options.participants) || options.participants.length === 0) {
    throw new RangeError('options.participants must list at least one participant');
  }
  const jobs = options.participants.flatMap((p, i) => planParticipant(p, i));
  const seen = new Set<string>();
  for (const p of options.participants) {
    const key = `${p.userId}/${p.sessionId}`;
    if (seen.has(key)) throw new RangeError(`options.participants lists session ${key} twice`);
    seen.add(key);
  }
  const { signal } = options;
  const sendBye = options.sendBye ?? true;
  const margin = options.timeoutMarginMs ?? 30_000;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-capture-'));
  const live: LiveTrack[] = [];
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(signal?.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const startUnixMs = clock();
    for (const job of jobs) {
      for (const plan of job.tracks) {
        const sessionDir = path.join(options.dir, plan.userId, plan.sessionId);
        await mkdir(sessionDir, { recursive: true });
        const ports = await bindUdpPortPair();
        const rtpdumpPath = path.join(sessionDir, `${plan.baseFilename}.rtpdump`);
        let recorder: RtpTrackRecorder;
        try {
          recorder = await RtpTrackRecorder.open({
            ...plan,
            rtpdumpPath,
            port: ports.port,
            startUnixMs,
            clock,
          });
        } catch (error) {
          await ports.close();
          throw error;
        }
        recorder.attach(ports.rtp, ports.rtcp);
        live.push({
          plan,
          ports,
          recorder,
          rtpdumpPath,
          sdpPath: path.join(sessionDir, `${plan.baseFilename}.sdp`),
        });
      }
    }
    const portOf = (plan: PlannedTrack): number => live.find((t) => t.plan === plan)!.ports.port;
    const sdpTexts = new Map<PlannedJob, string>();
    // allSettled: every ffmpeg has exited (or been killed) before the sockets close.
    const outcomes = await Promise.allSettled(
      jobs.map(async (job, j) => {
        try {
          await delay(job.startDelayMs, abort.signal);
          const sdpPath = path.join(scratch, `job-${j}.sdp`);
          const args = job.args(job.tracks.map(portOf), sdpPath, sendBye);
          await runFfmpeg(args, {
            ...(options.ffmpegPath !== undefined ? { ffmpegPath: options.ffmpegPath } : {}),
            timeoutMs: job.durationSec * 1000 + margin,
            signal: abort.signal,
          });
          sdpTexts.set(job, await readFile(sdpPath, 'utf8'));
        } catch (error) {
          abort.abort(error); // stop the other ffmpeg processes
          throw error;
        }
      }),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await delay(options.drainMs ?? 200, undefined);
    for (const t of live) await t.recorder.close();
    const endUnixMs = clock();

    const tracks: CapturedTrack[] = [];
    for (const job of jobs) {
      const sdp = sdpTexts.get(job)!;
      for (const plan of job.tracks) {
        const t = live.find((l) => l.plan === plan)!;
        await writeFile(t.sdpPath, extractSdpMediaSection(sdp, plan.kind, t.ports.port));
        const { bitrateKbps: _b, keyframeIntervalFrames: _k, ...rest } = plan;
        tracks.push({
          ...rest,
          rtpdumpPath: t.rtpdumpPath,
          sdpPath: t.sdpPath,
          timing: t.recorder.timing(),
          stats: t.recorder.stats,
        });
      }
    }
    const callStartMs = options.callStartMs ?? startUnixMs;
    const sessions: CapturedSession[] = [];
    for (const p of options.participants) {
      const mine = tracks.filter((t) => t.userId === p.userId && t.sessionId === p.sessionId);
      const timing: SessionTiming = {
        callType: options.callType ?? 'default',
        callId: options.callId ?? 'capture-call',
        callSessionId: options.callSessionId ?? 'capture-call-session',
        callStartTime: new Date(callStartMs).toISOString(),
        callStartMs,
        callEndTime: new Date(endUnixMs).toISOString(),
        participantId: p.userId,
        userSessionId: p.sessionId,
        segments: {
          audio: mine.filter((t) => t.kind === 'audio').map((t) => t.timing),
          video: mine.filter((t) => t.kind === 'video').map((t) => t.timing),
        },
      };
      const metadataPath = path.join(options.dir, p.userId, p.sessionId, 'timing_metadata.json');
      await writeFile(metadataPath, serializeTimingMetadata(timing));
      sessions.push({ userId: p.userId, sessionId: p.sessionId, metadataPath, timing });
    }
    return { root: options.dir, callStartMs, sessions, tracks };
  } finally {
    signal?.removeEventListener('abort', onOuterAbort);
    abort.abort(new Error('capture finished'));
    for (const t of live) {
      await t.recorder.close().catch(() => undefined);
      await t.ports.close();
    }
    await rm(scratch, { recursive: true, force: true });
  }
}
