import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import {
  computeManifestForDir,
  listArchiveFiles,
  readManifestFile,
  verifyManifest,
  writeManifestFile,
} from '../../src/archive/manifest-node.js';
import type { Manifest } from '../../src/archive/manifest.js';

const execFileAsync = promisify(execFile);
let root: string;

async function put(rel: string, content: string | Uint8Array): Promise<void> {
  const file = path.join(root, ...rel.split('/'));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

async function mismatch(run: Promise<unknown>): Promise<TapedeckError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof TapedeckError) return error;
    throw error;
  }
  throw new Error('expected a TapedeckError');
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  await put(
    'alice/s1/audio_1.rtpdump',
    new Uint8Array(200_000).map((_, i) => i & 0xff),
  );
  await put('alice/s1/audio_1.sdp', 'v=0\r\n');
  await put('alice/s1/timing_metadata.json', '{}');
  await put('bob/s2/video_1.rtpdump', '');
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('listArchiveFiles()', () => {
  it('lists regular files as sorted relative / paths and skips symbolic links to files and folders', async () => {
    await fs.symlink('/etc/hostname', path.join(root, 'alice', 'link.rtpdump'));
    await fs.symlink('/etc', path.join(root, 'etc'));
    expect(await listArchiveFiles(root)).toEqual([
      'alice/s1/audio_1.rtpdump',
      'alice/s1/audio_1.sdp',
      'alice/s1/timing_metadata.json',
      'bob/s2/video_1.rtpdump',
    ]);
  });

  it('throws INPUT_NOT_FOUND for a folder that does not exist', async () => {
    const error = await mismatch(listArchiveFiles(path.join(root, 'nope')));
    expect(error.code).toBe('INPUT_NOT_FOUND');
  });
});

describe('computeManifestForDir()', () => {
  it('lists every file with its size and the SHA-256 sha256sum computes, excluding manifest.json', async () => {
    await put('manifest.json', '{}');
    const manifest = await computeManifestForDir(root);
    expect(manifest.files.map((f) => [f.path, f.size])).toEqual([
      ['alice/s1/audio_1.rtpdump', 200_000],
      ['alice/s1/audio_1.sdp', 5],
      ['alice/s1/timing_metadata.json', 2],
      ['bob/s2/video_1.rtpdump', 0],
    ]);
    const { stdout } = await execFileAsync(
      'sha256sum',
      manifest.files.map((f) => f.path),
      { cwd: root },
    );
    const expected = stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/)[0]);
    expect(manifest.files.map((f) => f.sha256)).toEqual(expected);
  });

  it('refuses a file whose name cannot be listed (a backslash)', async () => {
    await put('alice/bad\\name', 'x');
    const error = await mismatch(computeManifestForDir(root));
    expect(error.code).toBe('UNSAFE_ARCHIVE');
    expect(error.message).toContain(
      '"alice/bad\\\\name" cannot be listed: it contains a backslash',
    );
  });

  it('stops with ABORTED when the signal is aborted', async () => {
    const error = await mismatch(computeManifestForDir(root, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
  });
});

describe('verifyManifest()', () => {
  let manifest: Manifest;
  beforeEach(async () => {
    manifest = await computeManifestForDir(root);
  });

  it('passes an untouched folder and returns files the manifest does not list', async () => {
    await put('notes.txt', 'hi');
    await put('manifest.json', '{}');
    expect(await verifyManifest(root, manifest)).toEqual({
      checkedFiles: 4,
      extraFiles: ['notes.txt'],
    });
  });

  it('throws MANIFEST_MISMATCH "size 100, manifest says 200" when a file was cut', async () => {
    await put('alice/s1/audio_1.rtpdump', new Uint8Array(100));
    const withSize = {
      ...manifest,
      files: manifest.files.map((f) =>
        f.path === 'alice/s1/audio_1.rtpdump' ? { ...f, size: 200 } : f,
      ),
    };
    const error = await mismatch(verifyManifest(root, withSize));
    expect(error.code).toBe('MANIFEST_MISMATCH');
    expect(error.message).toBe('alice/s1/audio_1.rtpdump: size 100, manifest says 200');
  });

  it('throws MANIFEST_MISMATCH for a missing file', async () => {
    await fs.rm(path.join(root, 'bob', 's2', 'video_1.rtpdump'));
    const error = await mismatch(verifyManifest(root, manifest));
    expect(error.message).toBe('bob/s2/video_1.rtpdump: missing, manifest says 0 bytes');
  });

  it('throws MANIFEST_MISMATCH for a same-size file with one byte changed', async () => {
    await put('alice/s1/audio_1.sdp', 'v=1\r\n');
    const error = await mismatch(verifyManifest(root, manifest));
    expect(error.code).toBe('MANIFEST_MISMATCH');
    expect(error.message).toMatch(
      /^alice\/s1\/audio_1\.sdp: sha256 [0-9a-f]{12}…, manifest says [0-9a-f]{12}…$/,
    );
  });

  it('treats a listed file replaced by a symbolic link as missing (never reads through links)', async () => {
    const sdp = path.join(root, 'alice', 's1', 'audio_1.sdp');
    await fs.rename(sdp, path.join(root, 'elsewhere.sdp'));
    await fs.symlink(path.join(root, 'elsewhere.sdp'), sdp);
    const error = await mismatch(verifyManifest(root, manifest));
    expect(error.message).toBe('alice/s1/audio_1.sdp: missing, manifest says 5 bytes');
  });
});

describe('writeManifestFile() and readManifestFile()', () => {
  it('writes manifest.json that reads back equal and leaves no temporary file', async () => {
    const manifest = await computeManifestForDir(root);
    await writeManifestFile(root, manifest);
    expect(await readManifestFile(root)).toEqual(manifest);
    expect((await fs.readdir(root)).sort()).toEqual(['alice', 'bob', 'manifest.json']);
    expect(await computeManifestForDir(root)).toEqual(manifest);
  });

  it('reads undefined when there is no manifest.json', async () => {
    expect(await readManifestFile(root)).toBeUndefined();
  });
});
