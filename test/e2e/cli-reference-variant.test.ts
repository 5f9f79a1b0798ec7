/**
 * The public reference tool's archive variant, end to end: one folder, globally unique
 * base names, `<anything>_timing_metadata.json`, packed as .tar.gz. Built from a real
 * ffmpeg capture; every output is judged by ffprobe and a full ffmpeg decode. Also: a
 * segment's base name resolves exactly (never `audio_1` → `audio_10`, never another
 * user's file), which the reference tool's substring search gets wrong.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTarGzArchive } from '../../src/archive/writer/write-tar-gz.js';
import { writeZipArchive } from '../../src/archive/writer/write-zip.js';
import type { TrackListing } from '../../src/raw/list-tracks.js';
import type { RawReport } from '../../src/raw/report.js';
import {
  captureWithFfmpeg,
  type CaptureResult,
  type CapturedTrack,
} from '../helpers/ffmpeg-rtp-capture.js';
import {
  copyTree,
  editMetadata,
  flattenToReferenceVariant,
  type FlattenNaming,
} from './support/archive-variants.js';
import { expectFailure, runCliInProcess, runCliProcess } from './support/cli-runner.js';
import { createE2eSandbox, type E2eSandbox } from './support/e2e-sandbox.js';
import { judge } from './support/media-judge.js';
import { expectExactly, guardTree } from './support/write-guard.js';

/** Different lengths per participant, so a file picked from the wrong one shows. */
const SECONDS: Readonly<Record<string, number>> = { alice: 2, bob: 3 };
const SESSION: Readonly<Record<string, string>> = { alice: 's1', bob: 's2' };
const TOLERANCE_SEC = 0.5;

let box: E2eSandbox;
let capture: CaptureResult;

beforeAll(async () => {
  box = await createE2eSandbox();
  capture = await captureWithFfmpeg({
    dir: box.capture,
    // One ffmpeg per participant sending both (avSync): audio and video share its clock, so
    // each A/V output spans the captured seconds even when a loaded machine delays one
    // encoder's start (two separate ffmpeg processes would start seconds apart).
    participants: ['alice', 'bob'].map((userId) => ({
      userId,
      sessionId: SESSION[userId]!,
      avSync: { durationSec: SECONDS[userId]!, videoDelayMs: 0, videoCodec: 'VP8' as const },
    })),
  });
  box.redirectTmp();
});

afterAll(async () => {
  await box?.remove();
});

function captured(userId: string, kind: 'audio' | 'video'): CapturedTrack {
  const track = capture.tracks.find((t) => t.userId === userId && t.kind === kind);
  if (!track) throw new Error(`no captured ${kind} track for ${userId}`);
  return track;
}

type Kind = 'audio_only' | 'video_only' | 'audio_video';
const individual = (user: string, kind: Kind): string =>
  `individual_default_capture-call_${user}_${SESSION[user]}_${kind}_${capture.callStartMs}.mkv`;
const composite = (): string => `composite_default_capture-call_audio_${capture.callStartMs}.mp3`;
const ALL_OUTPUTS = (): string[] => [
  ...['alice', 'bob'].flatMap((u) =>
    (['audio_only', 'video_only', 'audio_video'] as const).map((k) => individual(u, k)),
  ),
  composite(),
];

/** The capture flattened with `naming` into `<case>/tree/recording/`, packed as `<case>/call.tar.gz`. */
async function referenceTarGz(
  naming?: FlattenNaming,
): Promise<{ dir: string; archive: string; out: string }> {
  const dir = await box.newCase();
  const tree = path.join(dir, 'tree');
  await flattenToReferenceVariant(box.capture, path.join(tree, 'recording'), naming);
  const archive = path.join(dir, 'call.tar.gz');
  await writeTarGzArchive(tree, archive, { manifest: false });
  await rm(tree, { recursive: true });
  return { dir, archive, out: path.join(dir, 'out') };
}

describe('the reference variant (.tar.gz, one folder, alice_s1_audio_1, *_timing_metadata.json)', () => {
  it('list-tracks --format json lists every track with its renamed segment', async () => {
    const { archive } = await referenceTarGz();
    const guard = await guardTree(box.base);
    const run = await runCliInProcess([
      'raw',
      'list-tracks',
      '--input-file',
      archive,
      '--format',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const listing = JSON.parse(run.stdout) as {
      callId: string;
      tracks: TrackListing[];
      userIds: string[];
      sessions: string[];
    };
    expect(listing.callId).toBe('capture-call');
    expect(listing.userIds).toEqual(['alice', 'bob']);
    expect(listing.sessions).toEqual(['s1', 's2']);
    expect(
      listing.tracks.map((t) => [
        t.userId,
        t.sessionId,
        t.trackKind,
        t.codec,
        t.trackId,
        t.segments.map((s) => s.baseFilename),
      ]),
    ).toEqual([
      ['alice', 's1', 'audio', 'audio/opus', 's1-audio_1', ['alice_s1_audio_1']],
      ['alice', 's1', 'video', 'video/VP8', 's1-video_1', ['alice_s1_video_1']],
      ['bob', 's2', 'audio', 'audio/opus', 's2-audio_1', ['bob_s2_audio_1']],
      ['bob', 's2', 'video', 'video/VP8', 's2-video_1', ['bob_s2_video_1']],
    ]);
    await guard.expectUnchangedExcept();
  });

  it('process-all (a real process) writes every output, and ffprobe and ffmpeg accept each at the captured duration', async () => {
    const { archive, out } = await referenceTarGz();
    const guard = await guardTree(box.base);
    const run = await runCliProcess(
      ['raw', 'process-all', '--input-file', archive, '--output', out],
      { env: box.env },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await expectExactly(out, ALL_OUTPUTS());
    await guard.expectUnchangedExcept(out);

    // The mix spans from the first participant's first packet to the last one's end; each
    // participant is placed by the arrival of its first packet.
    const audio = capture.tracks.filter((t) => t.kind === 'audio');
    const mixSec =
      (Math.max(...audio.map((t) => t.timing.firstRtpUnixTimestamp + SECONDS[t.userId]! * 1000)) -
        Math.min(...audio.map((t) => t.timing.firstRtpUnixTimestamp))) /
      1000;
    const expected: [string, string[], number][] = [
      ...['alice', 'bob'].flatMap((u): [string, string[], number][] => [
        [individual(u, 'audio_only'), ['opus'], SECONDS[u]!],
        [individual(u, 'video_only'), ['vp8'], SECONDS[u]!],
        [individual(u, 'audio_video'), ['opus', 'vp8'], SECONDS[u]!],
      ]),
      [composite(), ['mp3'], mixSec],
    ];
    for (const [name, codecs, seconds] of expected) {
      const verdict = await judge(path.join(out, name));
      expect({
        name,
        codecs: [...verdict.codecs].sort(),
        decodeErrors: verdict.decodeErrors,
      }).toEqual({ name, codecs, decodeErrors: '' });
      expect(
        Math.abs(verdict.durationSec - seconds),
        `${name}: ${verdict.durationSec} s, captured ${seconds} s`,
      ).toBeLessThanOrEqual(TOLERANCE_SEC);
    }
  });
});

describe("base names resolve exactly, unlike the reference tool's substring search", () => {
  /** alice → audio_1 / video_1, bob → audio_10 / video_10: "audio_1" is a prefix of "audio_10". */
  const PREFIX_NAMING: FlattenNaming = {
    base: (user, _session, base) => (user === 'alice' ? base : `${base}0`),
    metadata: (user) => `${user}_timing_metadata.json`,
  };

  it('"audio_1" in alice\'s metadata reads audio_1.rtpdump, never bob\'s audio_10.rtpdump (packet counts and durations tell them apart)', async () => {
    const { archive, out } = await referenceTarGz(PREFIX_NAMING);
    const run = await runCliInProcess([
      'raw',
      'process-all',
      '--input-file',
      archive,
      '--output',
      out,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RawReport;
    expect(report.outputs.map((o) => path.basename(o.file)).sort()).toEqual(ALL_OUTPUTS().sort());
    for (const output of report.outputs.filter((o) => o.kind !== 'composite_audio')) {
      for (const t of output.tracks) {
        expect({
          file: path.basename(output.file),
          user: t.userId,
          received: t.stats.received,
        }).toEqual({
          file: path.basename(output.file),
          user: t.userId,
          received: captured(t.userId, t.kind).stats.rtpPackets,
        });
      }
      const user = output.tracks[0]!.userId;
      expect(Math.abs(output.durationMs / 1000 - SECONDS[user]!)).toBeLessThanOrEqual(
        TOLERANCE_SEC,
      );
    }
    expect(captured('alice', 'audio').stats.rtpPackets).not.toBe(
      captured('bob', 'audio').stats.rtpPackets,
    );
  });

  it('a flat archive whose "audio_1" files are missing is INPUT_NOT_FOUND, not audio_10', async () => {
    const dir = await box.newCase();
    const tree = path.join(dir, 'tree');
    const flat = path.join(tree, 'recording');
    await flattenToReferenceVariant(box.capture, flat, PREFIX_NAMING);
    await rm(path.join(flat, 'audio_1.rtpdump'));
    await rm(path.join(flat, 'audio_1.sdp'));
    const archive = path.join(dir, 'call.tar.gz');
    await writeTarGzArchive(tree, archive, { manifest: false });
    const out = path.join(dir, 'out');
    const guard = await guardTree(box.base);
    const run = await runCliInProcess([
      'raw',
      'process-all',
      '--input-file',
      archive,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'INPUT_NOT_FOUND',
      'recording/alice_timing_metadata.json: segment audio_1 refers to audio_1.rtpdump, which is not in the archive',
    ]);
    await guard.expectUnchangedExcept();
  });

  it("in the documented layout, alice's missing audio_1.rtpdump is INPUT_NOT_FOUND, never the audio_1.rtpdump in bob's folder", async () => {
    const dir = await box.newCase();
    const tree = path.join(dir, 'tree');
    await copyTree(box.capture, tree);
    await rm(path.join(tree, 'alice', 's1', 'audio_1.rtpdump'));
    // bob's metadata no longer lists his audio, so bob/s2/audio_1.rtpdump is the one file of that name.
    await editMetadata(path.join(tree, 'bob', 's2', 'timing_metadata.json'), (doc) => {
      doc.segments.audio = [];
    });
    const zip = path.join(dir, 'call.zip');
    await writeZipArchive(tree, zip);
    const out = path.join(dir, 'out');
    const guard = await guardTree(box.base);
    const run = await runCliInProcess([
      'raw',
      'extract-audio',
      '--input-file',
      zip,
      '--output',
      out,
      '--user-id',
      'alice',
      '--json',
    ]);
    expectFailure(run, [
      'INPUT_NOT_FOUND',
      /^alice\/s1\/timing_metadata\.json: segment audio_1 refers to audio_1\.rtpdump\b/,
    ]);
    await guard.expectUnchangedExcept();
  });
});
