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
import type { SegmentTiming, SessionTiming } from '../../src/archive/types.js';
import { serializeTimingMetadata } from '../../src/archive/timing-metadata.js';
import {
  planParticipant,
  type CaptureParticipantSpec,
  type PlannedJob,
  type PlannedTrack,
} from './capture-plan.js';
import { runFfmpeg } from './run-ffmpeg.js';
import { RtpTrackRecorder, type RecordedTrackStats } from './rtp-track-recorder.js';
import { extractSdpMediaSection } from './sdp-media-section.js';
import { bindUdpPortPair, type UdpPortPair } from './udp-port-pair.js';

export type { CaptureCodec, VideoCodec } from './ffmpeg-rtp-args.js';
export type { AvSyncSpec, CaptureParticipantSpec, CaptureTrackSpec } from './capture-plan.js';

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
  /** Each ffmpeg is killed when it runs longer than its duration + this (ms). Default 30 000. */
  readonly timeoutMarginMs?: number;
  /** Wait after the last ffmpeg exits for datagrams still in flight. Default 200. */
  readonly drainMs?: number;
  readonly ffmpegPath?: string;
  readonly signal?: AbortSignal;
};

export type CapturedTrack = Omit<PlannedTrack, 'bitrateKbps' | 'keyframeIntervalFrames'> & {
  readonly rtpdumpPath: string;
  readonly sdpPath: string;
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

const clock = (): number => Math.floor(performance.timeOrigin + performance.now());

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
