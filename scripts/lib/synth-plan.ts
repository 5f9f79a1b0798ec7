/**
 * Planning a synthetic call: participants and their tracks (see synth-call.ts) become a
 * list of segment plans with every value fixed up front (SSRCs, random RTP/sequence starts,
 * sender-report phase, jitter seeds), derived from the seed so equal options give equal
 * archives. Validates the participant options; errors name the option.
 */
import path from 'node:path';
import type { TrackType } from '../../src/archive/types.js';
import { prng, type DtxPattern, type SynthSegmentPlan } from './synth-segment-writer.js';

export type SynthTrackSpec = {
  readonly kind: 'audio' | 'video';
  /**
   * Default TRACK_TYPE_AUDIO / TRACK_TYPE_VIDEO by kind. TRACK_TYPE_SCREEN_SHARE uses the
   * screen clip (`options.screen`).
   */
  readonly trackType?: TrackType;
  /** Default `<sessionId>-<kind>-<n>` (n counts the session's tracks of that kind). */
  readonly trackId?: string;
  /**
   * Runs of the track, ms since the participant joined, sorted and not overlapping; each
   * run is one segment (new SSRC, own rtpdump). Default one run over the whole stay.
   */
  readonly segments?: readonly { readonly startMs: number; readonly endMs: number }[];
};

export type SynthParticipant = {
  readonly userId: string;
  readonly sessionId: string;
  /** Default: microphone and camera. */
  readonly tracks?: readonly SynthTrackSpec[];
  /** When the participant's media starts, ms after the call start. Default 1500 × index. */
  readonly joinOffsetMs?: number;
  /** Media seconds sent. Default: until the call ends. */
  readonly durationSec?: number;
  /** The participant's wall clock error as its sender reports show it. Default: ±0–3.1 s by index. */
  readonly clockSkewMs?: number;
  /** One-way network delay. Default 25 + 15 × index ms. */
  readonly networkDelayMs?: number;
  /** Extra delay, uniform in [0, jitterMs). Default 8. */
  readonly jitterMs?: number;
  /** Send silence as Opus DTX in this talk/silence rhythm. Default: no DTX. */
  readonly dtx?: DtxPattern;
  /** Tone (or beep) frequency. Default 300 + 110 × index Hz. */
  readonly toneHz?: number;
  /** Where in the clip this participant's media starts, seconds. Default 0. */
  readonly clipPhaseSec?: number;
};

/** A segment to write: its plan (minus the loaded clip) and where it belongs. */
export type PlannedSegment = Omit<SynthSegmentPlan, 'clip'> & {
  readonly userId: string;
  readonly sessionId: string;
  readonly kind: 'audio' | 'video';
  readonly sdpPath: string;
  /** Which clip it loops: the camera, the screen, or the tone of this frequency (Hz). */
  readonly clipKey: 'camera' | 'screen' | number;
  readonly slots: number;
};

export type PlanContext = {
  readonly outDir: string;
  readonly durationMs: number;
  readonly seed: number;
  readonly callStartMs: number;
  readonly senderReportIntervalMs: number;
  readonly frameRate: { readonly camera: number; readonly screen: number };
};

export type CallPlan = {
  readonly segments: readonly PlannedSegment[];
  readonly clips: { camera: boolean; screen: boolean; readonly tones: Set<number> };
};

const SKEWS_MS = [0, 2300, -1700, 3100, -2600, 900, -400, 1800];
const PT = { audio: 111, video: 96 } as const;

export function fnv(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h === 0 ? 1 : h;
}

export function num(name: string, value: unknown, min: number, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`,
    );
  }
  return value;
}

export function id(name: string, value: unknown): string {
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

/** Plans every segment of every participant (files numbered per session and kind). */
export function planSegments(
  participants: readonly SynthParticipant[],
  context: PlanContext,
): CallPlan {
  const planned: PlannedSegment[] = [];
  const sessionsSeen = new Set<string>();
  const usedClips = { camera: false, screen: false, tones: new Set<number>() };

  participants.forEach((p, index) => {
    const at = `options.participants[${index}]`;
    const userId = id(`${at}.userId`, p.userId);
    const sessionId = id(`${at}.sessionId`, p.sessionId);
    if (sessionsSeen.has(`${userId}/${sessionId}`))
      throw new RangeError(`${at}: session ${userId}/${sessionId} listed twice`);
    sessionsSeen.add(`${userId}/${sessionId}`);
    const joinOffsetMs = num(`${at}.joinOffsetMs`, p.joinOffsetMs ?? 1500 * index, 0);
    const stayMs =
      p.durationSec !== undefined
        ? num(`${at}.durationSec`, p.durationSec, 0.001) * 1000
        : context.durationMs - joinOffsetMs;
    if (stayMs <= 0) throw new RangeError(`${at}.joinOffsetMs must be before the call ends`);
    const clockSkewMs =
      p.clockSkewMs === undefined
        ? SKEWS_MS[index % SKEWS_MS.length]!
        : num(`${at}.clockSkewMs`, p.clockSkewMs, -86_400_000);
    const toneHz = num(`${at}.toneHz`, p.toneHz ?? 300 + 110 * index, 20);
    const phaseSec = num(`${at}.clipPhaseSec`, p.clipPhaseSec ?? 0, 0);
    if (p.dtx !== undefined) {
      num(`${at}.dtx.talkMs`, p.dtx.talkMs, 20);
      num(`${at}.dtx.silenceMs`, p.dtx.silenceMs, 0);
    }
    const tracks: readonly SynthTrackSpec[] = p.tracks ?? [{ kind: 'audio' }, { kind: 'video' }];
    const counters = { audio: 0, video: 0 };
    const trackCounters = { audio: 0, video: 0 };
    tracks.forEach((t, ti) => {
      const where = `${at}.tracks[${ti}]`;
      if (t.kind !== 'audio' && t.kind !== 'video')
        throw new TypeError(`${where}.kind must be 'audio' or 'video'`);
      const trackType =
        t.trackType ?? (t.kind === 'audio' ? 'TRACK_TYPE_AUDIO' : 'TRACK_TYPE_VIDEO');
      const isAudioType =
        trackType === 'TRACK_TYPE_AUDIO' || trackType === 'TRACK_TYPE_SCREEN_SHARE_AUDIO';
      if (isAudioType !== (t.kind === 'audio'))
        throw new RangeError(`${where}.trackType ${trackType} does not fit kind ${t.kind}`);
      const trackId =
        t.trackId !== undefined
          ? id(`${where}.trackId`, t.trackId)
          : `${sessionId}-${t.kind}-${++trackCounters[t.kind]}`;
      const clipKey: PlannedSegment['clipKey'] =
        t.kind === 'audio' ? toneHz : trackType === 'TRACK_TYPE_SCREEN_SHARE' ? 'screen' : 'camera';
      if (clipKey === 'camera') usedClips.camera = true;
      else if (clipKey === 'screen') usedClips.screen = true;
      else usedClips.tones.add(clipKey);
      const frameRate =
        t.kind === 'audio'
          ? 50
          : clipKey === 'screen'
            ? context.frameRate.screen
            : context.frameRate.camera;
      const runs = t.segments ?? [{ startMs: 0, endMs: stayMs }];
      let previousEnd = 0;
      runs.forEach((run, ri) => {
        const rw = `${where}.segments[${ri}]`;
        num(`${rw}.startMs`, run.startMs, previousEnd);
        if (!(run.endMs > run.startMs && run.endMs <= stayMs))
          throw new RangeError(
            `${rw}.endMs must be after startMs and within the stay (${stayMs} ms)`,
          );
        previousEnd = run.endMs;
        const baseFilename = `${t.kind}_${++counters[t.kind]}`;
        const dir = path.join(context.outDir, userId, sessionId);
        const key = `${userId}/${sessionId}/${baseFilename}`;
        const random = prng(fnv(key, context.seed));
        const firstSlot = Math.ceil((run.startMs * frameRate) / 1000);
        const endSlot = Math.ceil((run.endMs * frameRate) / 1000);
        planned.push({
          userId,
          sessionId,
          kind: t.kind,
          clipKey,
          sdpPath: path.join(dir, `${baseFilename}.sdp`),
          rtpdumpPath: path.join(dir, `${baseFilename}.rtpdump`),
          baseFilename,
          trackId,
          trackType,
          ssrc: fnv(`ssrc:${key}`, context.seed),
          payloadType: PT[t.kind],
          rtpBase: Math.floor(random() * 0x1_0000_0000) >>> 0,
          initialSequenceNumber: Math.floor(random() * 0x1_0000),
          firstSlot,
          endSlot,
          slots: endSlot - firstSlot,
          phaseSlots: Math.round(phaseSec * frameRate),
          joinUnixMs: context.callStartMs + joinOffsetMs,
          clockSkewMs,
          networkDelayMs: num(`${at}.networkDelayMs`, p.networkDelayMs ?? 25 + 15 * index, 0),
          jitterMs: num(`${at}.jitterMs`, p.jitterMs ?? 8, 0),
          seed: fnv(`jitter:${key}`, context.seed),
          senderReportIntervalMs: context.senderReportIntervalMs,
          senderReportPhaseMs: 100 + Math.floor(random() * 800),
          dtx: t.kind === 'audio' ? p.dtx : undefined,
          cname: `${userId}-${sessionId}`,
          port: 5004 + 2 * planned.length,
        });
      });
    });
  });

  return { segments: planned, clips: usedClips };
}
