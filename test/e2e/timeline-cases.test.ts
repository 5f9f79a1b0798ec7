/**
 * The irregular recordings real calls produce, built from real ffmpeg captures: a
 * participant with two sessions, loss with reordering and duplication, sequence and
 * timestamp wrap-around, Opus DTX, and a sender clock that is seconds off. (Segments with
 * gaps, where exact expected times are needed, are in segments-and-gaps.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawReport } from '../../src/raw/report.js';
import { captureWithFfmpeg } from '../helpers/ffmpeg-rtp-capture.js';
import { ffmpegDecodeErrors, ffprobe } from '../media/mux-helpers.js';
import { appendSegment, readSession, writeSession } from './lib/metadata-edit.js';
import { rewriteRtpdump, seeded, type RtpRecord } from './lib/rewrite-rtpdump.js';
import { runCliInProcess as runCli } from './support/cli-runner.js';

let dir: string;
let root: string;

async function run(args: string[]): Promise<RawReport> {
  const r = await runCli([...args, '--input-dir', root, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RawReport;
}

function withSeq(p: RtpRecord, sequenceNumber: number, timestamp = p.packet.timestamp): RtpRecord {
  return { ...p, packet: { ...p.packet, sequenceNumber: sequenceNumber & 0xffff, timestamp: timestamp >>> 0 } };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-timeline-'));
  root = path.join(dir, 'call');
  const two = (codec: 'VP8' | 'H264') => [
    { kind: 'audio' as const, codec: 'opus' as const, durationSec: 2 },
    { kind: 'video' as const, codec, durationSec: 2 },
  ];
  await captureWithFfmpeg({
    dir: root,
    callId: 'timeline',
    participants: [
      { userId: 'alice', sessionId: 's1', tracks: two('VP8') },
      { userId: 'bob', sessionId: 's3', tracks: two('VP8') },
      { userId: 'carol', sessionId: 's4', tracks: two('H264') },
      { userId: 'dave', sessionId: 's5', tracks: [{ kind: 'audio', codec: 'opus', durationSec: 3 }] },
    ],
  });
  // A second capture a few seconds later: alice republishes (segment 2 of s1's tracks) and
  // joins again from another device (session s2).
  const later = path.join(dir, 'later');
  await captureWithFfmpeg({
    dir: later,
    callId: 'timeline',
    participants: [
      { userId: 'alice', sessionId: 's1', tracks: two('VP8') },
      { userId: 'alice', sessionId: 's2', tracks: [{ kind: 'audio', codec: 'opus', durationSec: 2 }] },
    ],
  });
  const s1 = path.join(root, 'alice', 's1');
  await appendSegment(path.join(later, 'alice', 's1'), s1, 'audio', 'audio_1', 'audio_2');
  await appendSegment(path.join(later, 'alice', 's1'), s1, 'video', 'video_1', 'video_2');
  execFileSync('mv', [path.join(later, 'alice', 's2'), path.join(root, 'alice', 's2')]);
  const s2 = await readSession(path.join(root, 'alice', 's2'));
  const s1Meta = await readSession(s1);
  await writeSession(path.join(root, 'alice', 's2'), { ...s2, call_start_time: s1Meta.call_start_time, call_session_id: s1Meta.call_session_id });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('timeline cases on real captures', () => {
  it('a participant with two sessions gets one file per session, and both are in the mix', async () => {
    const out = path.join(dir, 'sessions');
    const report = await run(['raw', 'extract-audio', '--output', out, '--user-id', 'alice']);
    expect(report.outputs.map((o) => path.basename(o.file).replace(/_\d+\.mkv$/, ''))).toEqual([
      'individual_default_timeline_alice_s1_audio_only',
      'individual_default_timeline_alice_s2_audio_only',
    ]);
    const mix = await run(['raw', 'mix-audio', '--output', path.join(dir, 'mix')]);
    expect(mix.outputs[0]?.tracks.map((t) => `${t.userId}/${t.sessionId}`)).toEqual([
      'alice/s1',
      'alice/s2',
      'bob/s3',
      'carol/s4',
      'dave/s5',
    ]);
  });

  it('loss with reordering and duplication is counted exactly and the outputs still decode cleanly', async () => {
    const random = seeded(7);
    const dropped = new Set<number>();
    await rewriteRtpdump(path.join(root, 'bob', 's3', 'audio_1.rtpdump'), (records) => {
      const out: RtpRecord[] = [];
      for (const [i, r] of records.entries()) {
        if (i > 10 && i < records.length - 10 && random() < 0.05) {
          dropped.add(i);
          continue;
        }
        out.push(r);
        if (i > 10 && random() < 0.03) out.push(r); // duplicate
      }
      // Swap neighbours here and there (reordering within a few packets).
      for (let i = 20; i + 1 < out.length - 20; i += 17) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      return out;
    });
    const out = path.join(dir, 'loss');
    const report = await run(['raw', 'extract-audio', '--output', out, '--user-id', 'bob', '--fix-dtx', 'false']);
    const stats = report.outputs[0]!.tracks[0]!.stats;
    expect(stats.lost).toBe(dropped.size);
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.late).toBe(0);
    expect(await ffmpegDecodeErrors(report.outputs[0]!.file)).toBe('');
  });

  it('sequence numbers and RTP timestamps that wrap mid-stream change nothing', async () => {
    const baseline = await run(['raw', 'mux-av', '--output', path.join(dir, 'nowrap'), '--user-id', 'carol']);
    const dirOf = path.join(root, 'carol', 's4');
    const meta = await readSession(dirOf);
    const shift: Record<'audio' | 'video', number> = { audio: 0, video: 0 };
    for (const kind of ['audio', 'video'] as const) {
      const file = path.join(dirOf, `${kind}_1.rtpdump`);
      await rewriteRtpdump(file, (records) => {
        const half = Math.floor(records.length / 2);
        const first = records[0]!.packet;
        const seqShift = 0x10000 - first.sequenceNumber - half;
        // The timestamp wraps at the packet in the middle.
        shift[kind] = (0x1_0000_0000 - records[half]!.packet.timestamp) >>> 0;
        return records.map((r) => withSeq(r, r.packet.sequenceNumber + seqShift, r.packet.timestamp + shift[kind]));
      });
      const seg = meta.segments[kind][0]!;
      for (const f of ['first_rtp_rtp_timestamp', 'last_rtp_rtp_timestamp', 'first_rtcp_rtp_timestamp', 'last_rtcp_rtp_timestamp']) {
        if (typeof seg[f] === 'number' && seg[f] !== 0) seg[f] = ((seg[f]) + shift[kind]) >>> 0;
      }
    }
    await writeSession(dirOf, meta);
    const out = path.join(dir, 'wrap');
    const report = await run(['raw', 'mux-av', '--output', out, '--user-id', 'carol']);
    const o = report.outputs[0]!;
    for (const t of o.tracks) {
      expect(t.stats.lost, t.kind).toBe(0);
      expect(t.stats.late, t.kind).toBe(0);
      expect(t.stats.discontinuities, t.kind).toBe(0);
    }
    const b = baseline.outputs[0]!;
    expect(o.durationMs).toBe(b.durationMs);
    expect(o.startOffsetMs).toBe(b.startOffsetMs);
    expect(o.tracks.map((t) => t.framesWritten)).toEqual(b.tracks.map((t) => t.framesWritten));
    expect(Number((await ffprobe(o.file)).format.duration)).toBe(Number((await ffprobe(b.file)).format.duration));
    expect(await ffmpegDecodeErrors(o.file)).toBe('');
  });

  it('Opus DTX (a silence with contiguous sequence numbers) is filled with silence frames, and only when asked', async () => {
    await rewriteRtpdump(path.join(root, 'dave', 's5', 'audio_1.rtpdump'), (records) =>
      // Drop one second of packets and renumber: the sender "stopped sending" (DTX).
      records.filter((_, i) => i < 50 || i >= 100).map((r, i) => withSeq(r, records[0]!.packet.sequenceNumber + i)),
    );
    const fixed = await run(['raw', 'extract-audio', '--output', path.join(dir, 'dtx'), '--user-id', 'dave']);
    const t = fixed.outputs[0]!.tracks[0]!;
    expect(t.stats.lost).toBe(0);
    expect(t.stats.dtxFramesInserted).toBe(50);
    expect(t.stats.dtxGaps).toBe(1);
    expect(Math.abs(Number((await ffprobe(fixed.outputs[0]!.file)).format.duration) - 3)).toBeLessThan(0.3);

    const raw = await run(['raw', 'extract-audio', '--output', path.join(dir, 'nodtx'), '--user-id', 'dave', '--no-fix-dtx']);
    expect(raw.outputs[0]!.tracks[0]!.stats.dtxFramesInserted).toBe(0);
    expect(raw.outputs[0]!.tracks[0]!.framesWritten).toBe(t.framesWritten - 50);
    expect((await readdir(path.join(dir, 'nodtx'))).length).toBe(1);
  });

  it('a participant whose computer clock is 3 s off is still placed by the server clock', async () => {
    const before = await run(['raw', 'extract-audio', '--output', path.join(dir, 'skew-a'), '--user-id', 'carol']);
    const dirOf = path.join(root, 'carol', 's4');
    const meta = await readSession(dirOf);
    for (const seg of [...meta.segments.audio, ...meta.segments.video]) {
      for (const f of ['first_rtcp_ntp_timestamp', 'last_rtcp_ntp_timestamp']) {
        if (typeof seg[f] === 'number' && seg[f] !== 0) seg[f] = (seg[f]) + 3000;
      }
    }
    await writeSession(dirOf, meta);
    const after = await run(['raw', 'extract-audio', '--output', path.join(dir, 'skew-b'), '--user-id', 'carol']);
    expect(after.outputs[0]!.startOffsetMs).toBe(before.outputs[0]!.startOffsetMs);
  });
});
