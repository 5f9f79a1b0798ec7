import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCallModel } from '../../src/archive/call-model.js';
import { parseTimingMetadataText } from '../../src/archive/timing-metadata.js';
import { createVp8Depacketizer } from '../../src/media/depacketize/index.js';
import { Unwrapper } from '../../src/lib/wrap.js';
import { ntpToUnixMs } from '../../src/rtp/ntp-time.js';
import { parseRtcpCompound } from '../../src/rtp/rtcp.js';
import type { RtcpSenderReport } from '../../src/rtp/rtcp-types.js';
import type { EncodedFrame } from '../../src/media/types.js';
import {
  synthesizeCall,
  type SynthesizeCallOptions,
  type SynthesizeCallResult,
  type SynthesizedSegment,
} from '../../scripts/lib/synth-call.js';
import { readSegment, type ReadSegment } from '../helpers/read-segment.js';

let dir: string;
let options: SynthesizeCallOptions;
let call: SynthesizeCallResult;
const files = new Map<SynthesizedSegment, ReadSegment>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  options = {
    outDir: path.join(dir, 'call'),
    cacheDir: path.join(dir, 'cache'),
    durationSec: 7,
    clipSec: 2,
    camera: { width: 320, height: 180, frameRate: 15, bitrateKbps: 300, keyframeIntervalSec: 1 },
    screen: { width: 320, height: 180, frameRate: 5, bitrateKbps: 100 },
    participants: [
      { userId: 'alice', sessionId: 'alice-1', clipPhaseSec: 0.4 },
      {
        userId: 'bob',
        sessionId: 'bob-1',
        dtx: { talkMs: 1000, silenceMs: 1000 },
        tracks: [
          { kind: 'audio' },
          {
            kind: 'video',
            trackType: 'TRACK_TYPE_SCREEN_SHARE',
            segments: [
              { startMs: 0, endMs: 2500 },
              { startMs: 3000, endMs: 5000 },
            ],
          },
        ],
      },
    ],
  };
  call = await synthesizeCall(options);
  for (const s of call.segments) files.set(s, await readSegment(s.rtpdumpPath));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function segment(userId: string, baseFilename: string): SynthesizedSegment {
  const s = call.segments.find((x) => x.userId === userId && x.baseFilename === baseFilename);
  if (s === undefined) throw new Error(`no segment ${userId}/${baseFilename}`);
  return s;
}

function senderReports(seg: ReadSegment): { sr: RtcpSenderReport; arrivalMs: number }[] {
  return seg.rtcp.flatMap((r) =>
    parseRtcpCompound(r.bytes).flatMap((p) =>
      p.type === 'sr' ? [{ sr: p, arrivalMs: r.arrivalMs }] : [],
    ),
  );
}

function depacketize(seg: ReadSegment): EncodedFrame[] {
  const d = createVp8Depacketizer();
  const seq = new Unwrapper(16);
  const ts = new Unwrapper(32);
  const out = seg.rtp.flatMap((r) =>
    d.push({
      packet: r.packet,
      extSeq: seq.unwrap(r.packet.sequenceNumber),
      extTimestamp: ts.unwrap(r.packet.timestamp),
      arrivalMs: r.arrivalMs,
    }),
  );
  return [...out, ...d.flush()];
}

describe('synthesizeCall()', () => {
  it('writes <user>/<session>/ rtpdump + sdp per segment and timing_metadata.json, which loadCallModel reads', async () => {
    expect((await readdir(path.join(options.outDir, 'bob', 'bob-1'))).sort()).toEqual([
      'audio_1.rtpdump',
      'audio_1.sdp',
      'timing_metadata.json',
      'video_1.rtpdump',
      'video_1.sdp',
      'video_2.rtpdump',
      'video_2.sdp',
    ]);
    const model = await loadCallModel(options.outDir);
    expect(model.callId).toBe('synth-call');
    expect(model.tracks.map((t) => [t.userId, t.kind, t.isScreenshare, t.segments.length])).toEqual(
      [
        ['alice', 'audio', false, 1],
        ['alice', 'video', false, 1],
        ['bob', 'audio', false, 1],
        ['bob', 'video', true, 2],
      ],
    );
  });

  it('record counts equal what it reports, with a sender report about once a second in every segment', () => {
    for (const [s, seg] of files) {
      expect(seg.rtp.length).toBe(s.rtpPackets);
      expect(seg.rtcp.length).toBe(s.rtcpPackets);
      const lengthMs =
        (s.slots * 1000) /
        (s.kind === 'audio' ? 50 : s.trackType === 'TRACK_TYPE_SCREEN_SHARE' ? 5 : 15);
      expect([Math.floor(lengthMs / 1000), Math.ceil(lengthMs / 1000)]).toContain(
        senderReports(seg).length,
      );
      const offsets = [...seg.rtp, ...seg.rtcp].map((r) => r.arrivalMs);
      expect(Math.min(...offsets)).toBeGreaterThanOrEqual(seg.startUnixMs);
      expect(new Set(seg.rtp.map((r) => r.packet.ssrc))).toEqual(new Set([s.ssrc]));
    }
  });

  it('video: one marked packet per frame, and the depacketized frames are the clip frames in loop order, byte for byte', () => {
    const s = segment('alice', 'video_1');
    const seg = files.get(s)!;
    const clip = call.clips.camera!.frames;
    expect(s.slots).toBe(7 * 15);
    expect(s.phaseSlots).toBe(6);
    expect(seg.rtp.filter((r) => r.packet.marker)).toHaveLength(s.slots);
    const frames = depacketize(seg);
    // Phase 6 is not on a keyframe (every 15 frames): the depacketizer waits for frame 15.
    const firstKey = 15 - s.phaseSlots;
    expect(frames.map((f) => f.data)).toEqual(
      Array.from(
        { length: s.slots - firstKey },
        (_, i) => clip[(firstKey + i + s.phaseSlots) % clip.length]!.data,
      ),
    );
    expect(frames[0]).toMatchObject({ keyframe: true, width: 320, height: 180 });
  });

  it('RTP timestamps advance by exactly 90000 / fps per frame and 960 per Opus packet across clip loops', () => {
    const video = files.get(segment('alice', 'video_1'))!;
    const starts = video.rtp.filter(
      (r, i) => i === 0 || r.packet.timestamp !== video.rtp[i - 1]!.packet.timestamp,
    );
    for (let i = 1; i < starts.length; i++)
      expect((starts[i]!.packet.timestamp - starts[i - 1]!.packet.timestamp) >>> 0).toBe(6000);
    const audio = files.get(segment('alice', 'audio_1'))!;
    expect(audio.rtp).toHaveLength(350);
    for (let i = 1; i < audio.rtp.length; i++) {
      expect((audio.rtp[i]!.packet.timestamp - audio.rtp[i - 1]!.packet.timestamp) >>> 0).toBe(960);
      expect(
        (audio.rtp[i]!.packet.sequenceNumber - audio.rtp[i - 1]!.packet.sequenceNumber) & 0xffff,
      ).toBe(1);
    }
  });

  it('DTX: silence is one TOC-only packet per 400 ms, sequence numbers stay contiguous, the marker starts each talkspurt', () => {
    const s = segment('bob', 'audio_1');
    const rtp = files.get(s)!.rtp;
    const dtx = rtp.filter((r) => r.packet.payload.byteLength === 1);
    expect(dtx.length).toBe(s.dtxPackets);
    expect(dtx.length).toBeGreaterThan(0);
    expect(dtx.every((r) => (r.packet.payload[0]! & 0x03) === 0)).toBe(true);
    for (let i = 1; i < rtp.length; i++) {
      const [a, b] = [rtp[i - 1]!.packet, rtp[i]!.packet];
      expect((b.sequenceNumber - a.sequenceNumber) & 0xffff).toBe(1);
      const dt = (b.timestamp - a.timestamp) >>> 0;
      const resumes = a.payload.byteLength === 1 && b.payload.byteLength > 1;
      expect(b.marker).toBe(resumes);
      expect(
        resumes
          ? [9600]
          : b.payload.byteLength === 1 && a.payload.byteLength === 1
            ? [19_200]
            : [960],
      ).toContain(dt);
    }
  });

  it('timing metadata is what the files say, and sender reports carry the sender clock skew (bob: +2300 ms)', async () => {
    for (const session of call.sessions) {
      const parsed = parseTimingMetadataText(
        await readFile(session.metadataPath, 'utf8'),
        session.metadataPath,
      );
      for (const m of [...parsed.segments.audio, ...parsed.segments.video]) {
        const s = segment(session.userId, m.baseFilename);
        const seg = files.get(s)!;
        expect(m).toMatchObject({
          trackId: s.trackId,
          ssrc: s.ssrc,
          firstRtpRtpTimestamp: seg.rtp[0]!.packet.timestamp,
          lastRtpRtpTimestamp: seg.rtp.at(-1)!.packet.timestamp,
          firstRtpUnixTimestamp: seg.rtp[0]!.arrivalMs,
          lastRtpUnixTimestamp: seg.rtp.at(-1)!.arrivalMs,
        });
        const reports = senderReports(seg);
        const [first, last] = [reports[0]!.sr, reports.at(-1)!.sr];
        expect(m.firstRtcpRtpTimestamp).toBe(first.rtpTimestamp);
        expect(m.firstRtcpNtpTimestamp).toBe(
          Math.round(ntpToUnixMs(first.ntpSeconds, first.ntpFraction)),
        );
        expect(m.lastRtcpRtpTimestamp).toBe(last.rtpTimestamp);
        expect(m.lastRtcpNtpTimestamp).toBe(
          Math.round(ntpToUnixMs(last.ntpSeconds, last.ntpFraction)),
        );
        // NTP − arrival = skew − (delay + jitter); alice: skew 0, delay 25; bob: skew 2300, delay 40; jitter < 8.
        const [skew, delay] = session.userId === 'bob' ? [2300, 40] : [0, 25];
        for (const { sr, arrivalMs } of reports) {
          const lead = ntpToUnixMs(sr.ntpSeconds, sr.ntpFraction) - arrivalMs;
          expect(lead).toBeGreaterThanOrEqual(skew - delay - 8 - 1);
          expect(lead).toBeLessThanOrEqual(skew - delay + 1);
        }
      }
    }
  });

  it('audio and video SRs share the sender clock: they map the join instant to the same NTP time', () => {
    for (const userId of ['alice', 'bob']) {
      const joins = call.segments
        .filter((s) => s.userId === userId && s.firstSlot === 0)
        .map((s) => {
          const rate = s.kind === 'audio' ? 48 : 90;
          return (
            s.timing.firstRtcpNtpTimestamp! -
            ((s.timing.firstRtcpRtpTimestamp! - s.timing.firstRtpRtpTimestamp) | 0) / rate
          );
        });
      expect(joins).toHaveLength(2);
      expect(Math.abs(joins[0]! - joins[1]!)).toBeLessThanOrEqual(1);
    }
  });

  it('a republished track is two segments with their own SSRC; the second starts mid-GOP, its keyframe 1 s in', () => {
    const [a, b] = [segment('bob', 'video_1'), segment('bob', 'video_2')];
    expect(a.trackId).toBe(b.trackId);
    expect(a.ssrc).not.toBe(b.ssrc);
    expect(a.timing.firstKeyFrameOffsetMs).toBe(0);
    expect(b.firstSlot).toBe(15); // 3000 ms at 5 fps; clip position 15 mod 10 = 5, keyframe at 10
    expect(b.timing.firstKeyFrameOffsetMs).toBeGreaterThanOrEqual(1000 - 8 - 1);
    expect(b.timing.firstKeyFrameOffsetMs).toBeLessThanOrEqual(1000 + 8 + 1);
    expect(b.timing.maxFrameDimension).toEqual({ width: 320, height: 180 });
    expect(b.timing.firstRtpUnixTimestamp - a.timing.lastRtpUnixTimestamp).toBeGreaterThan(400);
  });

  it('is deterministic: equal options give byte-identical files, and a longer call reuses the cached clips', async () => {
    const cached = (await readdir(options.cacheDir!)).sort();
    const again = await synthesizeCall({
      ...options,
      outDir: path.join(dir, 'again'),
      durationSec: 7,
    });
    for (const s of again.segments) {
      const original = segment(s.userId, s.baseFilename);
      expect(await readFile(s.rtpdumpPath)).toEqual(await readFile(original.rtpdumpPath));
      expect(await readFile(s.sdpPath, 'utf8')).toBe(await readFile(original.sdpPath, 'utf8'));
    }
    const longer = await synthesizeCall({
      ...options,
      outDir: path.join(dir, 'longer'),
      durationSec: 35,
    });
    expect(longer.segments.find((s) => s.userId === 'alice' && s.kind === 'video')!.slots).toBe(
      35 * 15,
    );
    expect((await readdir(options.cacheDir!)).sort()).toEqual(cached);
  });

  it('rejects bad options with errors naming them', async () => {
    const base = { outDir: path.join(dir, 'bad'), cacheDir: options.cacheDir!, durationSec: 2 };
    await expect(synthesizeCall({ ...base, participants: [] })).rejects.toThrow(
      /options\.participants/,
    );
    await expect(
      synthesizeCall({ ...base, participants: [{ userId: 'a/b', sessionId: 's' }] }),
    ).rejects.toThrow(/userId/);
    await expect(
      synthesizeCall({
        ...base,
        participants: [
          {
            userId: 'a',
            sessionId: 's',
            tracks: [{ kind: 'audio', trackType: 'TRACK_TYPE_VIDEO' }],
          },
        ],
      }),
    ).rejects.toThrow(/trackType/);
    await expect(
      synthesizeCall({
        ...base,
        participants: [
          {
            userId: 'a',
            sessionId: 's',
            tracks: [{ kind: 'video', segments: [{ startMs: 0, endMs: 9000 }] }],
          },
        ],
      }),
    ).rejects.toThrow(/segments\[0\]\.endMs/);
  });
});
