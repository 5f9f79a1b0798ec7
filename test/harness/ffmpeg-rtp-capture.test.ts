import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCallModel } from '../../src/archive/call-model.js';
import { parseTimingMetadataText } from '../../src/archive/timing-metadata.js';
import { ntpToUnixMs } from '../../src/rtp/ntp-time.js';
import { parseRtcpCompound } from '../../src/rtp/rtcp.js';
import { parseSdp, resolveCodec } from '../../src/sdp/index.js';
import { countEncodedPackets } from '../helpers/encoded-packet-count.js';
import {
  captureWithFfmpeg,
  type CaptureResult,
  type CapturedTrack,
} from '../helpers/ffmpeg-rtp-capture.js';
import {
  avSyncGraph,
  DEFAULT_AUDIO_INPUT,
  DEFAULT_VIDEO_INPUT,
  encoderArgs,
} from '../helpers/ffmpeg-rtp-args.js';
import { readSegment, type ReadSegment } from '../helpers/read-segment.js';

let dir: string;
let capture: CaptureResult;
const segments = new Map<CapturedTrack, ReadSegment>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  capture = await captureWithFfmpeg({
    dir,
    callId: 'cap-1',
    participants: [
      {
        userId: 'alice',
        sessionId: 'alice-1',
        tracks: [
          { kind: 'audio', codec: 'opus', durationSec: 2 },
          { kind: 'video', codec: 'VP8', durationSec: 2 },
        ],
      },
      {
        userId: 'bob',
        sessionId: 'bob-1',
        tracks: [
          { kind: 'video', codec: 'VP9', durationSec: 2, startDelayMs: 300 },
          { kind: 'video', codec: 'H264', durationSec: 2, trackType: 'TRACK_TYPE_SCREEN_SHARE' },
        ],
      },
      { userId: 'carol', sessionId: 'carol-1', avSync: { durationSec: 3 } },
    ],
  });
  for (const t of capture.tracks) segments.set(t, await readSegment(t.rtpdumpPath));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function track(userId: string, baseFilename: string): CapturedTrack {
  const t = capture.tracks.find((x) => x.userId === userId && x.baseFilename === baseFilename);
  if (t === undefined) throw new Error(`no track ${userId}/${baseFilename}`);
  return t;
}

describe('captureWithFfmpeg()', () => {
  it('writes <user>/<session>/<kind>_<n>.rtpdump + .sdp and one timing_metadata.json per session', async () => {
    expect((await readdir(path.join(dir, 'alice', 'alice-1'))).sort()).toEqual([
      'audio_1.rtpdump',
      'audio_1.sdp',
      'timing_metadata.json',
      'video_1.rtpdump',
      'video_1.sdp',
    ]);
    expect((await readdir(path.join(dir, 'bob', 'bob-1'))).sort()).toEqual([
      'timing_metadata.json',
      'video_1.rtpdump',
      'video_1.sdp',
      'video_2.rtpdump',
      'video_2.sdp',
    ]);
    expect((await readdir(path.join(dir, 'carol', 'carol-1'))).sort()).toEqual([
      'audio_1.rtpdump',
      'audio_1.sdp',
      'timing_metadata.json',
      'video_1.rtpdump',
      'video_1.sdp',
    ]);
  });

  it('every rtpdump holds one RTP stream (the SSRC and payload type asked for, no sequence gaps) and RTCP sender reports', () => {
    for (const [t, seg] of segments) {
      expect(seg.rtp.length, t.rtpdumpPath).toBeGreaterThan(0);
      expect(seg.rtcp.length, t.rtpdumpPath).toBeGreaterThan(0);
      expect(new Set(seg.rtp.map((r) => r.packet.ssrc))).toEqual(new Set([t.ssrc]));
      expect(new Set(seg.rtp.map((r) => r.packet.payloadType))).toEqual(new Set([t.payloadType]));
      for (let i = 1; i < seg.rtp.length; i++) {
        expect(
          (seg.rtp[i]!.packet.sequenceNumber - seg.rtp[i - 1]!.packet.sequenceNumber) & 0xffff,
        ).toBe(1);
      }
      const arrivals = [...seg.rtp, ...seg.rtcp].map((r) => r.arrivalMs - seg.startUnixMs);
      expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(0);
      expect(t.stats.rtpPackets).toBe(seg.rtp.length);
      expect(t.stats.rtcpPackets).toBe(seg.rtcp.length);
      expect(seg.header).toMatchObject({
        address: '127.0.0.1',
        port: expect.any(Number) as number,
      });
    }
  });

  it('timing metadata is what the files say: first/last RTP timestamp and arrival, first/last sender report', async () => {
    for (const session of capture.sessions) {
      const parsed = parseTimingMetadataText(
        await readFile(session.metadataPath, 'utf8'),
        session.metadataPath,
      );
      expect(parsed.participantId).toBe(session.userId);
      expect(parsed.userSessionId).toBe(session.sessionId);
      expect(parsed.callId).toBe('cap-1');
      const all = [...parsed.segments.audio, ...parsed.segments.video];
      expect(all.length).toBe(
        capture.tracks.filter((t) => t.sessionId === session.sessionId).length,
      );
      for (const m of all) {
        const t = track(session.userId, m.baseFilename);
        const seg = segments.get(t)!;
        const first = seg.rtp[0]!;
        const last = seg.rtp.at(-1)!;
        expect(m.firstRtpRtpTimestamp).toBe(first.packet.timestamp);
        expect(m.lastRtpRtpTimestamp).toBe(last.packet.timestamp);
        expect(m.firstRtpUnixTimestamp).toBe(first.arrivalMs);
        expect(m.lastRtpUnixTimestamp).toBe(last.arrivalMs);
        const reports = seg.rtcp
          .flatMap((r) => parseRtcpCompound(r.bytes))
          .flatMap((p) => (p.type === 'sr' && p.ssrc === t.ssrc ? [p] : []));
        expect(reports.length).toBeGreaterThanOrEqual(2); // the first, and the last one sent with BYE
        const [sr0, srN] = [reports[0]!, reports.at(-1)!];
        expect(m.firstRtcpRtpTimestamp).toBe(sr0.rtpTimestamp);
        expect(m.firstRtcpNtpTimestamp).toBe(
          Math.round(ntpToUnixMs(sr0.ntpSeconds, sr0.ntpFraction)),
        );
        expect(m.lastRtcpRtpTimestamp).toBe(srN.rtpTimestamp);
        expect(m.lastRtcpNtpTimestamp).toBe(
          Math.round(ntpToUnixMs(srN.ntpSeconds, srN.ntpFraction)),
        );
        expect(m.lastRtcpNtpTimestamp!).toBeGreaterThan(m.firstRtcpNtpTimestamp!);
        expect(m.ssrc).toBe(t.ssrc);
        expect(m.codec).toBe(t.kind === 'audio' ? 'audio/opus' : `video/${t.codec}`);
      }
    }
  });

  it('video metadata: ffmpeg starts on a keyframe (offset 0) and every codec reports 640×360 as the largest frame', () => {
    for (const t of capture.tracks.filter((x) => x.kind === 'video')) {
      expect(t.timing.firstKeyFrameOffsetMs, `${t.codec}`).toBe(0);
      expect(t.timing.maxFrameDimension, `${t.codec}`).toEqual({ width: 640, height: 360 });
    }
    for (const t of capture.tracks.filter((x) => x.kind === 'audio')) {
      expect(t.timing.firstKeyFrameOffsetMs).toBeUndefined();
      expect(t.timing.maxFrameDimension).toBeUndefined();
    }
  });

  it('RTP carries exactly the packets the encoder makes for the same source (ffprobe counts on a file encode)', async () => {
    const judge = (t: CapturedTrack, input: string[], extra: string[] = []): Promise<number> =>
      countEncodedPackets([
        ...input,
        '-map',
        t.kind === 'audio' ? '0:a' : '0:v',
        ...extra,
        ...encoderArgs({
          codec: t.codec,
          bitrateKbps: t.kind === 'audio' ? 32 : 500,
          keyframeIntervalFrames: 60,
        }),
      ]);
    const lavfi = (graph: string, sec: number): string[] => [
      '-t',
      String(sec),
      '-f',
      'lavfi',
      '-i',
      graph,
    ];
    const sync = lavfi(
      avSyncGraph({
        width: 640,
        height: 360,
        frameRate: 30,
        beepIntervalMs: 1000,
        beepMs: 50,
        beepHz: 1000,
      }),
      3,
    );
    const jobs: [CapturedTrack, string[], string[]?][] = [
      [track('alice', 'audio_1'), lavfi(DEFAULT_AUDIO_INPUT, 2)],
      [track('alice', 'video_1'), lavfi(DEFAULT_VIDEO_INPUT, 2)],
      [track('bob', 'video_1'), lavfi(DEFAULT_VIDEO_INPUT, 2)],
      [track('bob', 'video_2'), lavfi(DEFAULT_VIDEO_INPUT, 2)],
      [track('carol', 'audio_1'), sync],
      [track('carol', 'video_1'), sync, ['-ss', '0.5']],
    ];
    const counts = await Promise.all(jobs.map(([t, input, extra]) => judge(t, input, extra)));
    const expected = new Map(jobs.map(([t], i) => [t, counts[i]!] as const));
    for (const [t, count] of expected) {
      const seg = segments.get(t)!;
      // Audio: one Opus packet per RTP packet. Video: the marker bit ends each frame.
      const sent =
        t.kind === 'audio' ? seg.rtp.length : seg.rtp.filter((r) => r.packet.marker).length;
      expect(sent, `${t.userId}/${t.baseFilename} ${t.codec}`).toBe(count);
    }
    expect(expected.get(track('alice', 'video_1'))).toBe(60);
    expect(expected.get(track('carol', 'video_1'))).toBe(75);
  });

  it('each SDP resolves to the track codec and payload type, with the port the stream was sent to', async () => {
    for (const [t, seg] of segments) {
      const sdp = parseSdp(await readFile(t.sdpPath, 'utf8'));
      expect(sdp.media).toHaveLength(1);
      const media = sdp.media[0]!;
      expect(media.media).toBe(t.kind);
      expect(media.port).toBe(seg.header.port);
      const codec = resolveCodec(media);
      expect(codec.name).toBe(t.codec);
      expect(codec.payloadType).toBe(t.payloadType);
      expect(codec.clockRate).toBe(t.kind === 'audio' ? 48_000 : 90_000);
    }
  });

  it('the archive loads as a call model: 3 participants, 6 tracks, the H264 track flagged as screen share', async () => {
    const model = await loadCallModel(dir);
    expect(model.callId).toBe('cap-1');
    expect(model.tracks).toHaveLength(6);
    const screen = model.tracks.filter((t) => t.isScreenshare);
    expect(screen.map((t) => [t.userId, t.codec])).toEqual([['bob', 'video/H264']]);
  });

  it('A/V sync fixture: one ffmpeg clock; by its sender reports the video starts after the audio, within its 500 ms delay + start-up', () => {
    const audio = track('carol', 'audio_1');
    const video = track('carol', 'video_1');
    // Sender time of each stream's first packet, from its first SR (NTP ∓ RTP distance).
    const start = (t: CapturedTrack, rate: number): number =>
      t.timing.firstRtcpNtpTimestamp! -
      ((t.timing.firstRtcpRtpTimestamp! - t.timing.firstRtpRtpTimestamp) | 0) / rate;
    const offsetMs = start(video, 90) - start(audio, 48);
    expect(offsetMs).toBeGreaterThan(0);
    expect(offsetMs).toBeLessThan(1500);
    expect(video.timing.firstRtpUnixTimestamp).toBeGreaterThan(audio.timing.firstRtpUnixTimestamp);
  });

  it('rejects bad specs with errors naming the option, and a failing ffmpeg with its message', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
    try {
      await expect(
        captureWithFfmpeg({
          dir: tmp,
          participants: [
            {
              userId: 'u',
              sessionId: 's',
              tracks: [{ kind: 'audio', codec: 'VP8', durationSec: 1 }],
            },
          ],
        }),
      ).rejects.toThrow(/participants\[0\]\.tracks\[0\]\.codec/);
      await expect(
        captureWithFfmpeg({
          dir: tmp,
          participants: [
            {
              userId: 'u',
              sessionId: 's',
              tracks: [{ kind: 'video', codec: 'VP8', durationSec: 0 }],
            },
          ],
        }),
      ).rejects.toThrow(/durationSec/);
      await expect(
        captureWithFfmpeg({
          dir: tmp,
          participants: [
            {
              userId: 'u',
              sessionId: 's',
              tracks: [
                { kind: 'video', codec: 'VP8', durationSec: 1, lavfiInput: 'nosuchsource=x' },
              ],
            },
          ],
        }),
      ).rejects.toThrow(/^ffmpeg exit code/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
