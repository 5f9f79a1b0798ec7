/**
 * Synthetic raw call archives, fast (not real time): clips encoded once by ffmpeg (and
 * cached), read back with mediabunny, looped and packetized into one rtpdump per track
 * segment, with the timing metadata a recorder would write:
 *
 * ```
 * <outDir>/<userId>/<sessionId>/audio_1.rtpdump audio_1.sdp video_1.rtpdump video_1.sdp timing_metadata.json
 * ```
 *
 * What makes it realistic: each participant joins at its own offset, its packets arrive
 * after a network delay with deterministic jitter, its sender reports (every ~1 s, audio
 * and video on one sender clock) carry a wall clock that is off by a few seconds, a track
 * may be republished (several segments, new SSRC each), silence may be sent as Opus DTX,
 * and sequence numbers and RTP timestamps start at random (seeded) values, so they wrap.
 * Everything is deterministic for a given `seed`.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import type { SegmentTiming, SessionTiming, TrackType } from '../../src/archive/types.js';
import { serializeTimingMetadata } from '../../src/archive/timing-metadata.js';
import { buildRecordingSdp } from '../../src/sdp/build-recording-sdp.js';
import {
  ensureClip,
  loadAudioClip,
  loadVideoClip,
  type AudioClip,
  type AudioClipSpec,
  type VideoClip,
  type VideoClipSpec,
} from './media-clips.js';
import { writeSynthSegment, type SynthSegmentPlan } from './synth-segment-writer.js';
import { num, planSegments, type SynthParticipant } from './synth-plan.js';

export type { DtxPattern } from './synth-segment-writer.js';
export type { SynthParticipant, SynthTrackSpec } from './synth-plan.js';

export type SynthVideoSettings = {
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  readonly bitrateKbps?: number;
  /** Default: the clip length (one keyframe per loop). */
  readonly keyframeIntervalSec?: number;
};

export type SynthesizeCallOptions = {
  readonly outDir: string;
  readonly participants: readonly SynthParticipant[];
  /** Call length in seconds (> 0). */
  readonly durationSec: number;
  /** Default 'default'. */
  readonly callType?: string;
  /** Default 'synth-call'. */
  readonly callId?: string;
  /** Default 'synth-call-session'. */
  readonly callSessionId?: string;
  /** Default 2024-05-01T10:00:00Z, so equal options give equal archives. */
  readonly callStartMs?: number;
  /** 'testsrc': moving pattern and tones; 'beep-flash': beeps and white flashes at the same instants (A/V sync). Default 'testsrc'. */
  readonly media?: 'testsrc' | 'beep-flash';
  /** Camera clip. Default 1280×720, 30 fps, 1200 kbit/s. */
  readonly camera?: SynthVideoSettings;
  /** Screen share clip. Default 1280×720, 5 fps, 400 kbit/s. */
  readonly screen?: SynthVideoSettings;
  /** Default 32. */
  readonly audioBitrateKbps?: number;
  /** Loop period of every clip, whole seconds. Default 10. */
  readonly clipSec?: number;
  /** Default 1000. */
  readonly senderReportIntervalMs?: number;
  /** beep-flash: period and length of beeps/flashes. Default 1000 / 100. */
  readonly beepIntervalMs?: number;
  readonly beepMs?: number;
  /** Encoded clips are kept here. Default `<os tmpdir>/tapedeck-clip-cache`. */
  readonly cacheDir?: string;
  /** Default 1. */
  readonly seed?: number;
  readonly ffmpegPath?: string;
  readonly signal?: AbortSignal;
};

export type SynthesizedSegment = {
  readonly userId: string;
  readonly sessionId: string;
  readonly kind: 'audio' | 'video';
  readonly trackType: TrackType;
  readonly trackId: string;
  readonly baseFilename: string;
  readonly rtpdumpPath: string;
  readonly sdpPath: string;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly rtpPackets: number;
  readonly rtcpPackets: number;
  /** Video frames, or Opus packets (DTX ones included). */
  readonly mediaUnits: number;
  readonly dtxPackets: number;
  /** Media slots (video frames or 20 ms Opus packets) [firstSlot, firstSlot + slots) since the join. */
  readonly firstSlot: number;
  readonly slots: number;
  /** Clip position (in slots) of slot 0: slot k sends clip unit (k + phaseSlots) mod clip length. */
  readonly phaseSlots: number;
  readonly timing: SegmentTiming;
};

export type SynthesizeCallResult = {
  readonly root: string;
  readonly callStartMs: number;
  readonly sessions: readonly {
    userId: string;
    sessionId: string;
    metadataPath: string;
    timing: SessionTiming;
  }[];
  readonly segments: readonly SynthesizedSegment[];
  /** Bytes of RTP and RTCP written. */
  readonly bytes: number;
  /** The clips used (for tests that compare frames). */
  readonly clips: {
    readonly camera?: VideoClip;
    readonly screen?: VideoClip;
    readonly audio: ReadonlyMap<number, AudioClip>;
  };
};

const DEFAULT_CALL_START_MS = Date.UTC(2024, 4, 1, 10, 0, 0);
function videoSpec(
  s: SynthVideoSettings | undefined,
  source: VideoClipSpec['source'],
  defaults: { width: number; height: number; frameRate: number; bitrateKbps: number },
  clipSec: number,
  beep: { beepIntervalMs: number; beepMs: number },
): VideoClipSpec {
  return {
    kind: 'video',
    source,
    width: s?.width ?? defaults.width,
    height: s?.height ?? defaults.height,
    frameRate: s?.frameRate ?? defaults.frameRate,
    bitrateKbps: s?.bitrateKbps ?? defaults.bitrateKbps,
    keyframeIntervalSec: s?.keyframeIntervalSec ?? clipSec,
    durationSec: clipSec,
    ...beep,
  };
}

/** Builds the archive (see the module comment) and returns what it wrote. */
export async function synthesizeCall(
  options: SynthesizeCallOptions,
): Promise<SynthesizeCallResult> {
  if (typeof options.outDir !== 'string' || options.outDir === '')
    throw new TypeError('options.outDir must be a path');
  if (!Array.isArray(options.participants) || options.participants.length === 0) {
    throw new RangeError('options.participants must list at least one participant');
  }
  const durationMs = num('options.durationSec', options.durationSec, 0.001) * 1000;
  const clipSec = num('options.clipSec', options.clipSec ?? 10, 1, true);
  const seed = num('options.seed', options.seed ?? 1, 0, true);
  const srInterval = num(
    'options.senderReportIntervalMs',
    options.senderReportIntervalMs ?? 1000,
    10,
  );
  const callStartMs = num(
    'options.callStartMs',
    options.callStartMs ?? DEFAULT_CALL_START_MS,
    0,
    true,
  );
  const beep = {
    beepIntervalMs: num('options.beepIntervalMs', options.beepIntervalMs ?? 1000, 20, true),
    beepMs: num('options.beepMs', options.beepMs ?? 100, 1, true),
  };
  const flash = options.media === 'beep-flash';
  const cacheDir = options.cacheDir ?? path.join(os.tmpdir(), 'tapedeck-clip-cache');
  const encode = {
    cacheDir,
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };

  const cameraSpec = videoSpec(
    options.camera,
    flash ? 'flash' : 'testsrc2',
    { width: 1280, height: 720, frameRate: 30, bitrateKbps: 1200 },
    clipSec,
    beep,
  );
  const screenSpec = videoSpec(
    options.screen,
    'screen',
    { width: 1280, height: 720, frameRate: 5, bitrateKbps: 400 },
    clipSec,
    beep,
  );
  const audioSpec = (toneHz: number): AudioClipSpec => ({
    kind: 'audio',
    source: flash ? 'beep' : 'tone',
    toneHz,
    bitrateKbps: options.audioBitrateKbps ?? 32,
    durationSec: clipSec,
    ...beep,
  });

  const { segments: planned, clips: usedClips } = planSegments(options.participants, {
    outDir: options.outDir,
    durationMs,
    seed,
    callStartMs,
    senderReportIntervalMs: srInterval,
    frameRate: { camera: cameraSpec.frameRate, screen: screenSpec.frameRate },
  });

  const camera = usedClips.camera
    ? await loadVideoClip(await ensureClip(cameraSpec, encode), cameraSpec)
    : undefined;
  const screen = usedClips.screen
    ? await loadVideoClip(await ensureClip(screenSpec, encode), screenSpec)
    : undefined;
  const audio = new Map<number, AudioClip>();
  for (const hz of usedClips.tones) {
    const spec = audioSpec(hz);
    audio.set(hz, await loadAudioClip(await ensureClip(spec, encode), spec));
  }

  for (const s of planned) await mkdir(path.dirname(s.rtpdumpPath), { recursive: true });
  const results = await Promise.all(
    planned.map(async (s) => {
      options.signal?.throwIfAborted();
      const clip: SynthSegmentPlan['clip'] =
        typeof s.clipKey === 'number'
          ? { kind: 'audio', clip: audio.get(s.clipKey)! }
          : { kind: 'video', clip: (s.clipKey === 'camera' ? camera : screen)! };
      const result = await writeSynthSegment({ ...s, clip });
      await writeFile(
        s.sdpPath,
        buildRecordingSdp({
          kind: s.kind,
          codec: s.kind === 'audio' ? 'opus' : 'VP8',
          payloadType: s.payloadType,
          clockRate: s.kind === 'audio' ? 48_000 : 90_000,
          ...(s.kind === 'audio' ? { fmtp: { minptime: '10', useinbandfec: '1' } } : {}),
          ssrc: s.ssrc,
          port: s.port,
          cname: s.cname,
        }),
      );
      return result;
    }),
  );

  const segments: SynthesizedSegment[] = planned.map((s, i) => {
    const r = results[i]!;
    return {
      userId: s.userId,
      sessionId: s.sessionId,
      kind: s.kind,
      trackType: s.trackType,
      trackId: s.trackId,
      baseFilename: s.baseFilename,
      rtpdumpPath: s.rtpdumpPath,
      sdpPath: s.sdpPath,
      ssrc: s.ssrc,
      payloadType: s.payloadType,
      rtpPackets: r.rtpPackets,
      rtcpPackets: r.rtcpPackets,
      mediaUnits: r.mediaUnits,
      dtxPackets: r.dtxPackets,
      firstSlot: s.firstSlot,
      slots: s.slots,
      phaseSlots: s.phaseSlots,
      timing: r.timing,
    };
  });
  const sessions: SynthesizeCallResult['sessions'][number][] = [];
  for (const p of options.participants) {
    const mine = segments.filter((s) => s.userId === p.userId && s.sessionId === p.sessionId);
    const timing: SessionTiming = {
      callType: options.callType ?? 'default',
      callId: options.callId ?? 'synth-call',
      callSessionId: options.callSessionId ?? 'synth-call-session',
      callStartTime: new Date(callStartMs).toISOString(),
      callStartMs,
      callEndTime: new Date(callStartMs + Math.round(durationMs)).toISOString(),
      participantId: p.userId,
      userSessionId: p.sessionId,
      segments: {
        audio: mine.filter((s) => s.kind === 'audio').map((s) => s.timing),
        video: mine.filter((s) => s.kind === 'video').map((s) => s.timing),
      },
    };
    const metadataPath = path.join(options.outDir, p.userId, p.sessionId, 'timing_metadata.json');
    await mkdir(path.dirname(metadataPath), { recursive: true });
    await writeFile(metadataPath, serializeTimingMetadata(timing));
    sessions.push({ userId: p.userId, sessionId: p.sessionId, metadataPath, timing });
  }
  return {
    root: options.outDir,
    callStartMs,
    sessions,
    segments,
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    clips: { ...(camera ? { camera } : {}), ...(screen ? { screen } : {}), audio },
  };
}
