/**
 * `tapedeck raw` on bad inputs, end to end: damaged media inside a real capture, bad
 * metadata, hostile archives, and bad flags. Every failure is one `CODE: message` line on
 * stderr (a stack trace only with --verbose), the exit status is the code's, and nothing
 * is written outside --output (the whole sandbox, extraction TMPDIR included, is compared
 * before and after; --output holds only complete outputs).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeManifestForDir, writeManifestFile } from '../../src/archive/manifest-node.js';
import { writeZipArchive } from '../../src/archive/writer/write-zip.js';
import { patchBytes, zipBuffer } from '../archive/reader-helpers.js';
import { captureWithFfmpeg, type CaptureResult } from '../helpers/ffmpeg-rtp-capture.js';
import {
  copyTree,
  editMetadata,
  rtpdumpRecordOffsets,
  zipTreeAsIs,
} from './support/archive-variants.js';
import {
  expectFailure,
  runCliInProcess,
  runCliProcess,
  stderrLines,
  type CliRun,
} from './support/cli-runner.js';
import { createE2eSandbox, type E2eSandbox } from './support/e2e-sandbox.js';
import { manyEntriesZip } from './support/many-entries-zip.js';
import { judge } from './support/media-judge.js';
import { expectExactly, guardTree } from './support/write-guard.js';

const SECONDS = 2;
let box: E2eSandbox;
let capture: CaptureResult;

beforeAll(async () => {
  box = await createE2eSandbox();
  capture = await captureWithFfmpeg({
    dir: box.capture,
    participants: ['alice', 'bob'].map((userId, i) => ({
      userId,
      sessionId: `s${i + 1}`,
      tracks: [
        { kind: 'audio', codec: 'opus', durationSec: SECONDS },
        { kind: 'video', codec: 'VP8', durationSec: SECONDS },
      ],
    })),
  });
  box.redirectTmp();
});

afterAll(async () => {
  await box?.remove();
});

type Kind = 'audio_only' | 'video_only' | 'audio_video';
const individual = (user: string, session: string, kind: Kind): string =>
  `individual_default_capture-call_${user}_${session}_${kind}_${capture.callStartMs}.mkv`;
const composite = (): string => `composite_default_capture-call_audio_${capture.callStartMs}.mp3`;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A copy of the capture in a fresh case folder, changed by `damage`, zipped. */
async function damagedZip(
  damage: (root: string) => Promise<void>,
): Promise<{ dir: string; zip: string; out: string }> {
  const dir = await box.newCase();
  const root = path.join(dir, 'tree');
  await copyTree(box.capture, root);
  await damage(root);
  const zip = path.join(dir, 'call.zip');
  await writeZipArchive(root, zip);
  await rm(root, { recursive: true });
  return { dir, zip, out: path.join(dir, 'out') };
}

/** A case folder holding `bytes` as `name`. */
async function inputFile(
  name: string,
  bytes: Buffer | string,
): Promise<{ dir: string; file: string; out: string }> {
  const dir = await box.newCase();
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return { dir, file, out: path.join(dir, 'out') };
}

/** Runs `args` in-process and asserts the sandbox is unchanged and --output never created. */
async function runWritingNothing(args: readonly string[]): Promise<CliRun> {
  const guard = await guardTree(box.base);
  const run = await runCliInProcess(args);
  await guard.expectUnchangedExcept();
  expect(await readdir(box.tmp)).toEqual([]);
  return run;
}

describe('a truncated rtpdump (cut in the middle of a record)', () => {
  let cutAt = 0;
  let recordAt = 0;

  async function cutAliceVideo(root: string): Promise<void> {
    const file = path.join(root, 'alice', 's1', 'video_1.rtpdump');
    const offsets = await rtpdumpRecordOffsets(file);
    recordAt = offsets[Math.floor(offsets.length / 2)]!;
    cutAt = recordAt + 8 + 5;
    await truncate(file, cutAt);
  }

  const failed = (): string[] => [
    individual('alice', 's1', 'video_only'),
    individual('alice', 's1', 'audio_video'),
  ];
  const written = (): string[] => [
    individual('alice', 's1', 'audio_only'),
    individual('bob', 's2', 'audio_only'),
    individual('bob', 's2', 'video_only'),
    individual('bob', 's2', 'audio_video'),
    composite(),
  ];

  it("process-all fails that track with PARSE_ERROR at the record's byte offset, writes every other output, and exits 3", async () => {
    const { zip, out } = await damagedZip(cutAliceVideo);
    const guard = await guardTree(box.base);
    const run = await runCliInProcess(['raw', 'process-all', '--input-file', zip, '--output', out]);
    expectFailure(
      run,
      ...failed().map((name): ['PARSE_ERROR', RegExp] => [
        'PARSE_ERROR',
        new RegExp(`^${escape(name)}: .*rtpdump.*\\bat byte ${recordAt}\\b`),
      ]),
    );
    expect(stderrLines(run).join('\n')).toContain(`file ends at byte ${cutAt}`);
    await expectExactly(out, written());
    const wrote = run.stdout.trim().split('\n');
    expect(wrote).toHaveLength(written().length);
    written().forEach((name, i) =>
      expect(wrote[i]).toMatch(
        new RegExp(`^wrote ${escape(path.join(out, name))} \\(\\d+\\.\\d\\d s\\)$`),
      ),
    );
    await guard.expectUnchangedExcept(out);
    expect(await readdir(box.tmp)).toEqual([]);
    const muxed = await judge(path.join(out, individual('bob', 's2', 'audio_video')));
    expect(muxed.codecs.sort()).toEqual(['opus', 'vp8']);
    expect(muxed.decodeErrors).toBe('');
  });

  it('the same as a real process (node bin/tapedeck.js): same lines, same files, same exit status', async () => {
    const { zip, out } = await damagedZip(cutAliceVideo);
    const guard = await guardTree(box.base);
    const run = await runCliProcess(['raw', 'process-all', '--input-file', zip, '--output', out], {
      env: box.env,
    });
    expectFailure(
      run,
      ...failed().map((name): ['PARSE_ERROR', RegExp] => [
        'PARSE_ERROR',
        new RegExp(`^${escape(name)}: .*rtpdump.*\\bat byte ${recordAt}\\b`),
      ]),
    );
    await expectExactly(out, written());
    await guard.expectUnchangedExcept(out);
    expect(await readdir(box.tmp)).toEqual([]);
  });

  it('the PARSE_ERROR line names the damaged rtpdump (alice/s1/video_1.rtpdump), not only the output', async () => {
    const { zip, out } = await damagedZip(cutAliceVideo);
    const run = await runCliInProcess([
      'raw',
      'extract-video',
      '--input-file',
      zip,
      '--output',
      out,
      '--user-id',
      'alice',
    ]);
    const lines = stderrLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PARSE_ERROR: /);
    expect(lines[0]).toContain('alice/s1/video_1.rtpdump');
  });
});

describe('bad files inside an archive', () => {
  it('a garbage file as --input-file is PARSE_ERROR naming it; nothing is written', async () => {
    const { file, out } = await inputFile('call.zip', 'this is not an archive, just text\n');
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      file,
      '--output',
      out,
    ]);
    expectFailure(run, ['PARSE_ERROR', `${file}: not a ZIP or gzip-compressed tar archive`]);
  });

  it('an SDP without a media section is SDP_INVALID naming the .sdp file; nothing is written', async () => {
    const { zip, out } = await damagedZip((root) =>
      writeFile(
        path.join(root, 'alice', 's1', 'video_1.sdp'),
        'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n',
      ),
    );
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      zip,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'SDP_INVALID',
      /alice\/s1\/video_1\.sdp\b.*without media|without media.*alice\/s1\/video_1\.sdp/,
    ]);
  });

  it('metadata naming a segment no file has is INPUT_NOT_FOUND naming the metadata and the file', async () => {
    const { zip, out } = await damagedZip((root) =>
      editMetadata(path.join(root, 'alice', 's1', 'timing_metadata.json'), (doc) => {
        doc.segments.audio[0]!.base_filename = 'audio_9';
      }),
    );
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      zip,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'INPUT_NOT_FOUND',
      'alice/s1/timing_metadata.json: segment audio_9 refers to audio_9.rtpdump, which is not in the archive',
    ]);
  });

  it('a session whose own rtpdump is missing is INPUT_NOT_FOUND naming that file, even when another session has a file of that name', async () => {
    const { zip, out } = await damagedZip((root) =>
      rm(path.join(root, 'bob', 's2', 'audio_1.rtpdump')),
    );
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      zip,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'INPUT_NOT_FOUND',
      /^bob\/s2\/timing_metadata\.json: segment audio_1 refers to audio_1\.rtpdump\b/,
    ]);
  });

  it('first_rtp_unix_timestamp: "abc" is METADATA_INVALID with the field path', async () => {
    const { zip, out } = await damagedZip((root) =>
      editMetadata(path.join(root, 'alice', 's1', 'timing_metadata.json'), (doc) => {
        doc.segments.audio[0]!['first_rtp_unix_timestamp'] = 'abc';
      }),
    );
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      zip,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'METADATA_INVALID',
      'alice/s1/timing_metadata.json: segments.audio[0].first_rtp_unix_timestamp must be an integer, got "abc"',
    ]);
  });

  it('a manifest.json whose checksum does not match a file is MANIFEST_MISMATCH naming the file', async () => {
    const dir = await box.newCase();
    const root = path.join(dir, 'tree');
    await copyTree(box.capture, root);
    await writeManifestFile(root, await computeManifestForDir(root));
    const damaged = path.join(root, 'bob', 's2', 'audio_1.rtpdump');
    const handle = await open(damaged, 'r+');
    const size = (await handle.stat()).size;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, size - 3);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, size - 3); // same size, other bytes
    await handle.close();
    const zip = path.join(dir, 'call.zip');
    await zipTreeAsIs(root, zip);
    await rm(root, { recursive: true });
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      zip,
      '--output',
      path.join(dir, 'out'),
    ]);
    expectFailure(run, [
      'MANIFEST_MISMATCH',
      /^bob\/s2\/audio_1\.rtpdump: sha256 [0-9a-f]{12}…, manifest says [0-9a-f]{12}…$/,
    ]);
  });
});

describe('hostile archives as --input-file are refused before anything is written', () => {
  const withCall = async (extra: Parameters<typeof zipBuffer>[0]): Promise<Buffer> => {
    const files = [];
    for (const rel of [
      'alice/s1/timing_metadata.json',
      'alice/s1/audio_1.sdp',
      'alice/s1/audio_1.rtpdump',
    ]) {
      files.push({ name: rel, data: await readFile(path.join(box.capture, ...rel.split('/'))) });
    }
    return zipBuffer([...files, ...extra]);
  };

  it('a ZIP entry "../evil" is UNSAFE_ARCHIVE, and no "evil" appears beside the extraction folder', async () => {
    const bytes = patchBytes(
      await withCall([{ name: 'AA/evil', data: 'pwned' }]),
      'AA/evil',
      '../evil',
    );
    const { file, out } = await inputFile('call.zip', bytes);
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      file,
      '--output',
      out,
    ]);
    expectFailure(run, ['UNSAFE_ARCHIVE', `${file}: entry "../evil" escapes the archive root`]);
    expect(existsSync(path.join(box.tmp, 'evil'))).toBe(false);
  });

  it('a ZIP entry with an absolute path is UNSAFE_ARCHIVE, and that path is not created', async () => {
    const target = `/tmp/tapedeck-evil-${randomBytes(6).toString('hex')}`;
    const placeholder = `X${target.slice(1)}`;
    const bytes = patchBytes(
      await withCall([{ name: placeholder, data: 'pwned' }]),
      placeholder,
      target,
    );
    const { file, out } = await inputFile('call.zip', bytes);
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      file,
      '--output',
      out,
    ]);
    expectFailure(run, ['UNSAFE_ARCHIVE', `${file}: entry "${target}" escapes the archive root`]);
    expect(existsSync(target)).toBe(false);
  });

  it('a ZIP symlink entry is UNSAFE_ARCHIVE', async () => {
    const bytes = await withCall([
      { name: 'alice/s1/video_1.rtpdump', data: '/etc/passwd', mode: 0o120777 },
    ]);
    const { file, out } = await inputFile('call.zip', bytes);
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      file,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'UNSAFE_ARCHIVE',
      `${file}: entry "alice/s1/video_1.rtpdump" is a symbolic link`,
    ]);
  });

  it('a compression bomb (64 MiB of zeros, ~1030:1) is ARCHIVE_LIMIT by the default 1000:1 ratio check', async () => {
    const bytes = await withCall([{ name: 'alice/s1/zeros.bin', zeros: 64 * 1024 * 1024 }]);
    expect(bytes.byteLength).toBeLessThan(128 * 1024);
    const { file, out } = await inputFile('bomb.zip', bytes);
    const run = await runWritingNothing(['raw', 'list-tracks', '--input-file', file]);
    expectFailure(run, [
      'ARCHIVE_LIMIT',
      `${file}: entry "alice/s1/zeros.bin" compresses more than 1000:1 (a decompression bomb)`,
    ]);
    expect(run.stdout).toBe('');
    const again = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      file,
      '--output',
      out,
    ]);
    expectFailure(again, ['ARCHIVE_LIMIT', /zeros\.bin" compresses more than 1000:1/]);
  });

  it('a ZIP64 archive of 100,001 entries is ARCHIVE_LIMIT by the default 100,000-entry limit', async () => {
    const { file, out } = await inputFile('many.zip', manyEntriesZip(100_001));
    const run = await runWritingNothing([
      'raw',
      'process-all',
      '--input-file',
      file,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'ARCHIVE_LIMIT',
      `${file}: holds more than 100000 entries (100001 declared)`,
    ]);
  });

  it('as a real process: the "../evil" ZIP is refused the same way', async () => {
    const bytes = patchBytes(
      await withCall([{ name: 'AA/evil', data: 'pwned' }]),
      'AA/evil',
      '../evil',
    );
    const { file, out } = await inputFile('call.zip', bytes);
    const guard = await guardTree(box.base);
    const run = await runCliProcess(
      ['raw', 'extract-audio', '--input-file', file, '--output', out],
      { env: box.env },
    );
    expectFailure(run, ['UNSAFE_ARCHIVE', `${file}: entry "../evil" escapes the archive root`]);
    expect(run.stdout).toBe('');
    await guard.expectUnchangedExcept();
  });
});

describe('bad input flags', () => {
  it('a non-existent --input-file or --input-dir is INPUT_NOT_FOUND naming the path', async () => {
    const dir = await box.newCase();
    const missing = path.join(dir, 'no-such-call.zip');
    expectFailure(
      await runWritingNothing([
        'raw',
        'process-all',
        '--input-file',
        missing,
        '--output',
        path.join(dir, 'out'),
      ]),
      ['INPUT_NOT_FOUND', `${missing}: no such file or directory`],
    );
    expectFailure(await runWritingNothing(['raw', 'list-tracks', '--input-dir', missing]), [
      'INPUT_NOT_FOUND',
      `${missing}: no such file or directory`,
    ]);
  });

  it('no input flag is INVALID_ARGUMENT (exit 2)', async () => {
    const dir = await box.newCase();
    const expected: ['INVALID_ARGUMENT', string] = [
      'INVALID_ARGUMENT',
      'give exactly one of --input-file, --input-dir, --input-s3',
    ];
    expectFailure(await runWritingNothing(['raw', 'list-tracks']), expected);
    expectFailure(
      await runWritingNothing(['raw', 'extract-audio', '--output', path.join(dir, 'out')]),
      expected,
    );
  });

  it('two input flags are INVALID_ARGUMENT (exit 2)', async () => {
    const dir = await box.newCase();
    const run = await runWritingNothing([
      'raw',
      'mux-av',
      '--input-dir',
      box.capture,
      '--input-file',
      path.join(dir, 'x.zip'),
      '--output',
      path.join(dir, 'out'),
    ]);
    expectFailure(run, [
      'INVALID_ARGUMENT',
      'give exactly one of --input-file, --input-dir, --input-s3',
    ]);
  });

  it('usage errors caught by the argument parser are one INVALID_ARGUMENT line each (exit 2)', async () => {
    const dir = await box.newCase();
    const out = path.join(dir, 'out');
    const cases: [string[], string][] = [
      [
        ['raw', 'extract-audio', '--input-dir', box.capture],
        "required option '--output <dir>' not specified",
      ],
      [
        ['raw', 'extract-video', '--input-dir', box.capture, '--output', out, '--container', 'avi'],
        "option '--container <kind>' argument 'avi' is invalid. Allowed choices are mkv, webm.",
      ],
      [['raw', 'list-tracks', '--input-dir', box.capture, '--bogus'], "unknown option '--bogus'"],
      [['raw', 'frobnicate'], "unknown command 'frobnicate'"],
      [
        ['raw', 'process-all', '--input-dir', box.capture, '--output', out, '--concurrency', '0'],
        '--concurrency must be a positive integer, got "0"',
      ],
    ];
    for (const [args, message] of cases) {
      expectFailure(await runWritingNothing(args), ['INVALID_ARGUMENT', message]);
    }
  });

  it('a bad boolean flag value is INVALID_ARGUMENT naming the flag', async () => {
    const dir = await box.newCase();
    const run = await runWritingNothing([
      'raw',
      'extract-audio',
      '--input-dir',
      box.capture,
      '--output',
      path.join(dir, 'out'),
      '--fix-dtx',
      'maybe',
    ]);
    expectFailure(run, [
      'INVALID_ARGUMENT',
      "option '--fix-dtx [bool]' argument 'maybe' is invalid. expected true or false",
    ]);
  });

  it('--verbose adds the stack trace after the one-line error (and only then)', async () => {
    const { file } = await inputFile('call.zip', 'garbage');
    const quiet = await runWritingNothing(['raw', 'list-tracks', '--input-file', file]);
    expectFailure(quiet, ['PARSE_ERROR', `${file}: not a ZIP or gzip-compressed tar archive`]);
    for (const args of [
      ['raw', 'list-tracks', '--input-file', file, '--verbose'],
      ['--verbose', 'raw', 'list-tracks', '--input-file', file],
    ]) {
      const loud = await runWritingNothing(args);
      expect(loud.code).toBe(3);
      const [first, ...rest] = stderrLines(loud);
      expect(first).toBe(`PARSE_ERROR: ${file}: not a ZIP or gzip-compressed tar archive`);
      expect(rest[0]).toMatch(/^TapedeckError: /);
      expect(rest.slice(1).length).toBeGreaterThan(0);
      expect(rest.slice(1).every((line) => /^\s+at /.test(line))).toBe(true);
    }
  });
});
