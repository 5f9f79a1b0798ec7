/**
 * `--user-id`, `--session-id`, `--track-id`, `--track-type`, `--container` and `--json`,
 * end to end on a real capture: every output command writes exactly the selected outputs
 * (process-all included, which the reference tool does not filter), unknown ids are
 * refused with the known ones, and the same input always gives the same bytes.
 *
 * Ids are chosen so that sorted order differs from the model's order:
 * alice/sess-b (Opus trk-mic-9, VP8 trk-cam-2), alice/sess-c (Opus trk-mic-1),
 * bob/sess-a (Opus trk-mic-5, H264 trk-cam-7).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZipArchive } from '../../src/archive/writer/write-zip.js';
import type { RawReport } from '../../src/raw/report.js';
import { captureWithFfmpeg, type CaptureResult } from '../helpers/ffmpeg-rtp-capture.js';
import {
  expectFailure,
  runCliInProcess,
  runCliProcess,
  type CliRun,
} from './support/cli-runner.js';
import { createE2eSandbox, type E2eSandbox } from './support/e2e-sandbox.js';
import { judge } from './support/media-judge.js';
import { expectExactly, guardTree, listNames } from './support/write-guard.js';

const SECONDS = 2;
let box: E2eSandbox;
let capture: CaptureResult;
let zip: string;

beforeAll(async () => {
  box = await createE2eSandbox();
  capture = await captureWithFfmpeg({
    dir: box.capture,
    // A camera+microphone session is one ffmpeg (avSync): its audio and video share a clock,
    // so muxed outputs span the captured seconds however loaded the machine is.
    participants: [
      {
        userId: 'alice',
        sessionId: 'sess-b',
        avSync: {
          durationSec: SECONDS,
          videoDelayMs: 0,
          videoCodec: 'VP8',
          audioTrackId: 'trk-mic-9',
          videoTrackId: 'trk-cam-2',
        },
      },
      {
        userId: 'alice',
        sessionId: 'sess-c',
        tracks: [{ kind: 'audio', codec: 'opus', durationSec: SECONDS, trackId: 'trk-mic-1' }],
      },
      {
        userId: 'bob',
        sessionId: 'sess-a',
        avSync: {
          durationSec: SECONDS,
          videoDelayMs: 0,
          videoCodec: 'H264',
          audioTrackId: 'trk-mic-5',
          videoTrackId: 'trk-cam-7',
        },
      },
    ],
  });
  zip = path.join(box.base, 'call.zip');
  await writeZipArchive(box.capture, zip);
  box.redirectTmp();
});

afterAll(async () => {
  await box?.remove();
});

/** Output names by short key: A/V/AV + session letter (b, c, a), and MIX. */
function outputName(key: string, ext = 'mkv'): string {
  if (key === 'MIX') return `composite_default_capture-call_audio_${capture.callStartMs}.mp3`;
  const match = /^(A|V|AV)([abc])$/.exec(key);
  if (!match) throw new RangeError(`bad output key ${key}`);
  const kind = { A: 'audio_only', V: 'video_only', AV: 'audio_video' }[
    match[1] as 'A' | 'V' | 'AV'
  ];
  const session = `sess-${match[2]}`;
  const user = session === 'sess-a' ? 'bob' : 'alice';
  return `individual_default_capture-call_${user}_${session}_${kind}_${capture.callStartMs}.${ext}`;
}

/** Track ids each output key carries, in the order the report lists them. */
const TRACKS_OF: Readonly<Record<string, readonly string[]>> = {
  Ab: ['trk-mic-9'],
  Vb: ['trk-cam-2'],
  AVb: ['trk-mic-9', 'trk-cam-2'],
  Ac: ['trk-mic-1'],
  Aa: ['trk-mic-5'],
  Va: ['trk-cam-7'],
  AVa: ['trk-mic-5', 'trk-cam-7'],
};

/**
 * The captured duration of an output: SECONDS for a track or an A/V pair; for the mix,
 * from the first participant's first packet to the last one's end (participants are
 * placed by the arrival of their first packets, and independent senders start apart).
 */
function expectedDurationMs(kind: string): number {
  if (kind !== 'composite_audio') return SECONDS * 1000;
  const starts = capture.tracks
    .filter((t) => t.kind === 'audio')
    .map((t) => t.timing.firstRtpUnixTimestamp);
  return Math.max(...starts) + SECONDS * 1000 - Math.min(...starts);
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** Runs an output command with --json into a fresh case folder; checks nothing else was written. */
async function runOutput(
  command: string,
  extra: readonly string[],
): Promise<{ run: CliRun; out: string; report: RawReport | undefined }> {
  const dir = await box.newCase();
  const out = path.join(dir, 'out');
  const guard = await guardTree(box.base);
  const run = await runCliInProcess([
    'raw',
    command,
    '--input-file',
    zip,
    '--output',
    out,
    '--json',
    ...extra,
  ]);
  await guard.expectUnchangedExcept(out);
  const report =
    run.code === 0 || run.stdout.startsWith('{')
      ? (JSON.parse(run.stdout) as RawReport)
      : undefined;
  return { run, out, report };
}

describe('each filter selects exactly the right outputs, for every output command', () => {
  const cases: {
    filter: readonly string[];
    expected: Readonly<Record<string, readonly string[]>>;
    mixOf: readonly string[];
  }[] = [
    {
      filter: ['--user-id', 'alice'],
      expected: {
        'extract-audio': ['Ab', 'Ac'],
        'extract-video': ['Vb'],
        'mux-av': ['AVb'],
        'process-all': ['Ab', 'Ac', 'Vb', 'AVb', 'MIX'],
      },
      mixOf: ['trk-mic-9', 'trk-mic-1'],
    },
    {
      filter: ['--session-id', 'sess-a'],
      expected: {
        'extract-audio': ['Aa'],
        'extract-video': ['Va'],
        'mux-av': ['AVa'],
        'process-all': ['Aa', 'Va', 'AVa', 'MIX'],
      },
      mixOf: ['trk-mic-5'],
    },
    {
      // A pair is muxed when either of its tracks is selected (src/raw/pairs.ts).
      filter: ['--track-id', 'trk-cam-2'],
      expected: {
        'extract-audio': [],
        'extract-video': ['Vb'],
        'mux-av': ['AVb'],
        'process-all': ['Vb', 'AVb'],
      },
      mixOf: [],
    },
    {
      filter: ['--track-id', 'trk-mic-1'],
      expected: {
        'extract-audio': ['Ac'],
        'extract-video': [],
        'mux-av': [],
        'process-all': ['Ac', 'MIX'],
      },
      mixOf: ['trk-mic-1'],
    },
  ];

  for (const { filter, expected, mixOf } of cases) {
    for (const [command, keys] of Object.entries(expected)) {
      it(`${command} ${filter.join(' ')} writes ${keys.length === 0 ? 'nothing' : keys.join(', ')}`, async () => {
        const { run, out, report } = await runOutput(command, filter);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        await expectExactly(
          out,
          keys.map((k) => outputName(k)),
        );
        expect(report!.failures).toEqual([]);
        expect(report!.outputs.map((o) => path.basename(o.file))).toEqual(
          keys.map((k) => outputName(k)),
        );
        for (const [i, key] of keys.entries()) {
          const trackIds = report!.outputs[i]!.tracks.map((t) => t.trackId);
          expect(trackIds).toEqual(key === 'MIX' ? mixOf : TRACKS_OF[key]);
        }
      });
    }
  }

  it('without --json an empty selection prints "No tracks found." and exits 0', async () => {
    const dir = await box.newCase();
    const run = await runCliInProcess([
      'raw',
      'extract-audio',
      '--input-file',
      zip,
      '--output',
      path.join(dir, 'out'),
      '--track-id',
      'trk-cam-7',
    ]);
    expect(run).toEqual({ code: 0, stdout: 'No tracks found.\n', stderr: '' });
  });

  it("process-all --user-id bob as a real process writes bob's outputs only", async () => {
    const dir = await box.newCase();
    const out = path.join(dir, 'out');
    const guard = await guardTree(box.base);
    const run = await runCliProcess(
      ['raw', 'process-all', '--input-file', zip, '--output', out, '--user-id', 'bob'],
      { env: box.env },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const keys = ['Aa', 'Va', 'AVa', 'MIX'];
    await expectExactly(
      out,
      keys.map((k) => outputName(k)),
    );
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => path.basename(l.replace(/^wrote /, '').replace(/ \(\d+\.\d\d s\)$/, ''))),
    ).toEqual(keys.map((k) => outputName(k)));
    await guard.expectUnchangedExcept(out);
  });
});

describe('bad filters are refused before anything is written', () => {
  const commands = ['extract-audio', 'extract-video', 'mux-av', 'mix-audio', 'process-all'];
  const unknown: [string, string, string][] = [
    ['--user-id', 'zed', 'alice, bob'],
    ['--session-id', 'sess-z', 'sess-a, sess-b, sess-c'],
    ['--track-id', 'trk-x', 'trk-cam-2, trk-cam-7, trk-mic-1, trk-mic-5, trk-mic-9'],
  ];

  for (const [flag, value, known] of unknown) {
    it(`${flag} ${value} is UNKNOWN_ID listing the known ids (${known}), for list-tracks and every output command`, async () => {
      const dir = await box.newCase();
      const out = path.join(dir, 'out');
      const guard = await guardTree(box.base);
      const line: ['UNKNOWN_ID', string] = [
        'UNKNOWN_ID',
        `unknown ${flag} "${value}"; known: ${known}`,
      ];
      expectFailure(
        await runCliInProcess(['raw', 'list-tracks', '--input-file', zip, flag, value]),
        line,
      );
      for (const command of commands) {
        expectFailure(
          await runCliInProcess([
            'raw',
            command,
            '--input-file',
            zip,
            '--output',
            out,
            flag,
            value,
          ]),
          line,
        );
      }
      await guard.expectUnchangedExcept();
      expect(await listNames(box.tmp)).toEqual([]);
    });
  }

  it('two filters at once are INVALID_ARGUMENT, for list-tracks and every output command', async () => {
    const dir = await box.newCase();
    const out = path.join(dir, 'out');
    const guard = await guardTree(box.base);
    const line: ['INVALID_ARGUMENT', string] = [
      'INVALID_ARGUMENT',
      '--user-id, --session-id and --track-id are mutually exclusive',
    ];
    expectFailure(
      await runCliInProcess([
        'raw',
        'list-tracks',
        '--input-file',
        zip,
        '--user-id',
        'alice',
        '--session-id',
        'sess-b',
      ]),
      line,
    );
    for (const command of commands) {
      expectFailure(
        await runCliInProcess([
          'raw',
          command,
          '--input-file',
          zip,
          '--output',
          out,
          '--session-id',
          'sess-b',
          '--track-id',
          'trk-mic-9',
        ]),
        line,
      );
    }
    await guard.expectUnchangedExcept();
  });
});

describe('list-tracks id lists and --track-type', () => {
  const list = async (...args: string[]): Promise<string> => {
    const run = await runCliInProcess(['raw', 'list-tracks', '--input-file', zip, ...args]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return run.stdout;
  };

  it('--format users|sessions|tracks print sorted unique ids, one per line', async () => {
    expect(await list('--format', 'users')).toBe('alice\nbob\n');
    expect(await list('--format', 'sessions')).toBe('sess-a\nsess-b\nsess-c\n');
    expect(await list('--format', 'tracks')).toBe(
      'trk-cam-2\ntrk-cam-7\ntrk-mic-1\ntrk-mic-5\ntrk-mic-9\n',
    );
  });

  it('--track-type keeps one kind, alone and with an id filter', async () => {
    expect(await list('--format', 'tracks', '--track-type', 'video')).toBe(
      'trk-cam-2\ntrk-cam-7\n',
    );
    expect(await list('--format', 'sessions', '--track-type', 'video')).toBe('sess-a\nsess-b\n');
    expect(await list('--format', 'tracks', '--track-type', 'audio')).toBe(
      'trk-mic-1\ntrk-mic-5\ntrk-mic-9\n',
    );
    expect(await list('--format', 'tracks', '--track-type', 'audio', '--user-id', 'alice')).toBe(
      'trk-mic-1\ntrk-mic-9\n',
    );
    const table = (await list('--track-type', 'video')).trimEnd().split('\n');
    expect(table.slice(2).map((row) => row.split(/\s{2,}/).slice(0, 4))).toEqual([
      ['alice', 'sess-b', 'trk-cam-2', 'video'],
      ['bob', 'sess-a', 'trk-cam-7', 'video'],
    ]);
    expect(await list('--track-type', 'video', '--track-id', 'trk-mic-1')).toBe(
      'No tracks found.\n',
    );
  });
});

describe('--container webm', () => {
  it('writes VP8/Opus outputs as WebM, fails each H264 output with one clear line, still writes the rest, and exits non-zero', async () => {
    const dir = await box.newCase();
    const out = path.join(dir, 'out');
    const guard = await guardTree(box.base);
    const run = await runCliInProcess([
      'raw',
      'process-all',
      '--input-file',
      zip,
      '--output',
      out,
      '--container',
      'webm',
    ]);
    expectFailure(
      run,
      [
        'INVALID_ARGUMENT',
        `${outputName('Va', 'webm')}: container webm cannot carry H264; use mkv`,
      ],
      [
        'INVALID_ARGUMENT',
        `${outputName('AVa', 'webm')}: container webm cannot carry H264; use mkv`,
      ],
    );
    const written = [
      ...['Ab', 'Ac', 'Aa', 'Vb', 'AVb'].map((k) => outputName(k, 'webm')),
      outputName('MIX'),
    ];
    await expectExactly(out, written);
    await guard.expectUnchangedExcept(out);
    for (const [key, codecs] of [
      ['AVb', ['opus', 'vp8']],
      ['Aa', ['opus']],
    ] as const) {
      const file = path.join(out, outputName(key, 'webm'));
      const head = (await readFile(file)).subarray(0, 64);
      expect(head.includes(Buffer.from('webm'))).toBe(true); // EBML DocType "webm", not "matroska"
      const verdict = await judge(file);
      expect([...verdict.codecs].sort()).toEqual(codecs);
      expect(verdict.decodeErrors).toBe('');
    }
  });
});

describe('--json and determinism', () => {
  it('process-all --json lists every file written with its duration and per-track packet stats', async () => {
    const { run, out, report } = await runOutput('process-all', []);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const names = await listNames(out);
    expect(report!.failures).toEqual([]);
    expect(report!.outputs.map((o) => path.basename(o.file)).sort()).toEqual(names);
    expect(names).toEqual(
      ['Ab', 'Ac', 'Aa', 'Vb', 'Va', 'AVb', 'AVa', 'MIX'].map((k) => outputName(k)).sort(),
    );
    for (const output of report!.outputs) {
      expect(output.file).toBe(path.join(out, path.basename(output.file)));
      expect(output.bytes).toBe((await stat(output.file)).size);
      expect(Number.isInteger(output.durationMs)).toBe(true);
      expect(
        Math.abs(output.durationMs - expectedDurationMs(output.kind)),
        output.file,
      ).toBeLessThanOrEqual(500);
      expect(output.tracks.length).toBeGreaterThan(0);
      for (const t of output.tracks) {
        const source = capture.tracks.find((c) => c.trackId === t.trackId)!;
        expect({ user: t.userId, session: t.sessionId, kind: t.kind }).toEqual({
          user: source.userId,
          session: source.sessionId,
          kind: source.kind,
        });
        expect(t.stats.received).toBe(source.stats.rtpPackets);
        expect(t.stats.rtcp).toBe(source.stats.rtcpPackets);
        for (const field of [
          'lost',
          'late',
          'duplicates',
          'dtxFramesInserted',
          'malformed',
        ] as const) {
          expect(
            Number.isInteger(t.stats[field]) && t.stats[field] >= 0,
            `${t.trackId} ${field}`,
          ).toBe(true);
        }
        expect(t.framesWritten).toBeGreaterThan(0);
      }
    }
  });

  it('process-all twice (default concurrency, then --concurrency 1) gives byte-identical files, reported in the same order', async () => {
    const first = await runOutput('process-all', []);
    const second = await runOutput('process-all', ['--concurrency', '1']);
    expect(first.run.code).toBe(0);
    expect(second.run.code).toBe(0);
    const order = (r: RawReport | undefined): string[] =>
      (r?.outputs ?? []).map((o) => path.basename(o.file));
    expect(order(second.report)).toEqual(order(first.report));
    const names = await listNames(first.out);
    expect(await listNames(second.out)).toEqual(names);
    expect(names).toHaveLength(8);
    for (const name of names) {
      expect({ name, sha256: await sha256(path.join(second.out, name)) }).toEqual({
        name,
        sha256: await sha256(path.join(first.out, name)),
      });
    }
  });
});
