import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveArchiveLimits } from '../../src/archive/reader/archive-limits.js';
import { ExtractionTarget } from '../../src/archive/reader/extraction-target.js';
import { openArchiveInput, type ArchiveInput } from '../../src/archive/reader/open-input.js';
import { expectTapedeckError, listTree, readTree, sandbox, tarGzBuffer, zipBuffer, type Sandbox } from './reader-helpers.js';

const run = promisify(execFile);

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.remove();
});

const CONTENT = [
  { name: 'u1/s1/audio_1.sdp', data: 'v=0\r\n' },
  { name: 'u1/s1/audio_1.rtpdump', data: Buffer.alloc(3000, 9) },
];

describe('openArchiveInput({ dir })', () => {
  it('uses the directory in place and cleanup() leaves it alone', async () => {
    const dir = path.join(box.base, 'call');
    await mkdir(path.join(dir, 'u1'), { recursive: true });
    await writeFile(path.join(dir, 'u1', 'a.sdp'), 'x');
    const opened = await openArchiveInput({ dir });
    expect(opened.root).toBe(path.resolve(dir));
    await opened.cleanup();
    expect(await readFile(path.join(dir, 'u1', 'a.sdp'), 'utf8')).toBe('x');
    expect(await readdir(box.work)).toEqual([]);
  });

  it('a missing directory is INPUT_NOT_FOUND', async () => {
    const dir = path.join(box.base, 'nope');
    await expectTapedeckError(openArchiveInput({ dir }), 'INPUT_NOT_FOUND', `${dir}: no such file or directory`);
  });

  it('a file passed as { dir } is INVALID_ARGUMENT', async () => {
    const file = path.join(box.base, 'a.zip');
    await writeFile(file, await zipBuffer(CONTENT));
    await expectTapedeckError(openArchiveInput({ dir: file }), 'INVALID_ARGUMENT', `${file}: is not a directory; pass { file } for an archive file`);
  });
});

describe('openArchiveInput({ file })', () => {
  it('a missing file is INPUT_NOT_FOUND', async () => {
    const file = path.join(box.base, 'missing.zip');
    await expectTapedeckError(openArchiveInput({ file }), 'INPUT_NOT_FOUND', `${file}: no such file or directory`);
  });

  it('tells ZIP from tar.gz by magic bytes, not by extension', async () => {
    const zipNamedTgz = path.join(box.base, 'really-a-zip.tar.gz');
    const tgzNamedZip = path.join(box.base, 'really-a-tgz.zip');
    await writeFile(zipNamedTgz, await zipBuffer(CONTENT));
    await writeFile(tgzNamedZip, await tarGzBuffer(CONTENT));
    for (const file of [zipNamedTgz, tgzNamedZip]) {
      const opened = await openArchiveInput({ file }, { workDir: box.work });
      expect(await readTree(opened.root)).toEqual(new Map(CONTENT.map((c) => [c.name, Buffer.from(c.data)])));
      await opened.cleanup();
    }
  });

  it('reads a tar.gz made by GNU tar, with its "./" root entry and directory entries', async () => {
    const dir = path.join(box.base, 'src');
    await mkdir(path.join(dir, 'u1', 's1'), { recursive: true });
    await writeFile(path.join(dir, 'u1', 's1', 'audio_1.sdp'), 'v=0\r\n');
    await mkdir(path.join(dir, 'empty'));
    const file = path.join(box.base, 'gnu.tgz');
    await run('tar', ['-czf', file, '-C', dir, '.']);
    const listing = (await run('tar', ['-tzf', file])).stdout.split('\n');
    expect(listing).toContain('./');
    const opened = await openArchiveInput({ file }, { workDir: box.work });
    expect(await listTree(opened.root)).toEqual(['empty', 'u1', 'u1/s1', 'u1/s1/audio_1.sdp']);
    await opened.cleanup();
  });

  it('extracts into a fresh directory inside workDir and cleanup() removes only that', async () => {
    await writeFile(path.join(box.work, 'keep.txt'), 'mine');
    const file = path.join(box.base, 'a.zip');
    await writeFile(file, await zipBuffer(CONTENT));
    const opened = await openArchiveInput({ file }, { workDir: box.work });
    expect(path.dirname(opened.root)).toBe(box.work);
    expect(await listTree(opened.root)).toEqual(['u1', 'u1/s1', 'u1/s1/audio_1.rtpdump', 'u1/s1/audio_1.sdp']);
    await opened.cleanup();
    await opened.cleanup(); // idempotent
    expect(await readdir(box.work)).toEqual(['keep.txt']);
  });

  it('creates a missing workDir and removes it again on cleanup()', async () => {
    const workDir = path.join(box.base, 'new-work');
    const file = path.join(box.base, 'a.zip');
    await writeFile(file, await zipBuffer(CONTENT));
    const opened = await openArchiveInput({ file }, { workDir });
    expect((await stat(opened.root)).isDirectory()).toBe(true);
    await opened.cleanup();
    expect((await readdir(box.base)).sort()).toEqual(['a.zip', 'work']);
  });

  it('without workDir, extracts into a fresh tapedeck-* directory under the temp dir and leaves nothing there on failure', async () => {
    const tmp = path.join(box.base, 'tmp');
    await mkdir(tmp);
    const previous = process.env['TMPDIR'];
    process.env['TMPDIR'] = tmp;
    try {
      const good = path.join(box.base, 'a.zip');
      await writeFile(good, await zipBuffer(CONTENT));
      const opened = await openArchiveInput({ file: good });
      expect(path.dirname(opened.root)).toBe(tmp);
      expect(path.basename(opened.root)).toMatch(/^tapedeck-/);
      await opened.cleanup();
      expect(await readdir(tmp)).toEqual([]);

      const bad = path.join(box.base, 'bad.tar.gz');
      await writeFile(bad, await tarGzBuffer([{ name: 'ok.txt', data: 'x' }, { name: '../x', data: 'y' }]));
      await expectTapedeckError(openArchiveInput({ file: bad }), 'UNSAFE_ARCHIVE', `${bad}: entry "../x" escapes the archive root`);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = previous;
    }
  });
});

describe('openArchiveInput() argument checks', () => {
  it('throws TypeError for an input with no or several sources', async () => {
    const bad = (value: unknown): ArchiveInput => value as ArchiveInput;
    await expect(openArchiveInput(bad({}))).rejects.toThrow(TypeError);
    await expect(openArchiveInput(bad({ file: 'a', dir: 'b' }))).rejects.toThrow('input must have exactly one of file, dir or remote');
  });

  it('throws RangeError naming a bad limit', async () => {
    await expect(openArchiveInput({ dir: box.base }, { limits: { maxEntries: 0 } })).rejects.toThrow(
      new RangeError('options.limits.maxEntries must be an integer ≥ 1, got 0'),
    );
  });

  it('throws TypeError for plain http:// to a non-loopback host and for unknown schemes', async () => {
    await expect(openArchiveInput({ remote: 'http://example.com/a.zip' })).rejects.toThrow(
      'input.remote: plain http:// is allowed only for loopback hosts; use https://',
    );
    await expect(openArchiveInput({ remote: 'ftp://127.0.0.1/a.zip' })).rejects.toThrow(TypeError);
    await expect(openArchiveInput({ remote: 's3://bucket-only' })).rejects.toThrow('input.remote must look like s3://bucket/key');
  });
});

describe('ExtractionTarget.writeFile()', () => {
  it('checks each chunk before writing it, so a refused file never holds more than the limit', async () => {
    const limits = resolveArchiveLimits({ maxEntryBytes: 10 });
    const target = new ExtractionTarget(box.work, { label: 'x.zip', limits, signal: undefined });
    const chunks = Readable.from([new Uint8Array(6), new Uint8Array(6)]);
    await expectTapedeckError(
      target.writeFile(target.claim('a.bin', 'file'), 'a.bin', chunks, {}),
      'ARCHIVE_LIMIT',
      'x.zip: entry "a.bin" is larger than the per-entry limit of 10 bytes',
    );
    expect((await stat(path.join(box.work, 'a.bin'))).size).toBe(6);
  });

  it('counts the total over all files on the bytes written', async () => {
    const limits = resolveArchiveLimits({ maxTotalBytes: 10 });
    const target = new ExtractionTarget(box.work, { label: 'x.zip', limits, signal: undefined });
    const once = (n: number): Readable => Readable.from([new Uint8Array(n)]);
    await target.writeFile(target.claim('a.bin', 'file'), 'a.bin', once(7), {});
    await expectTapedeckError(
      target.writeFile(target.claim('b.bin', 'file'), 'b.bin', once(4), {}),
      'ARCHIVE_LIMIT',
      'x.zip: expands past the total limit of 10 bytes',
    );
    expect(target.totalBytes).toBe(7);
    expect((await stat(path.join(box.work, 'b.bin'))).size).toBe(0);
  });
});
