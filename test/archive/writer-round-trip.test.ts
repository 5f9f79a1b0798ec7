import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import { createGunzip } from 'node:zlib';
import { createReadStream, watch } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { openArchiveInput } from '../../src/archive/reader/open-input.js';
import { writeTarGzArchive } from '../../src/archive/writer/write-tar-gz.js';
import { writeZipArchive } from '../../src/archive/writer/write-zip.js';
import { digests, expectTapedeckError, readTree, sandbox, zipBuffer, type Sandbox } from './reader-helpers.js';

/** Deterministic pseudo-random bytes (xorshift32), so fixtures do not compress to nothing. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const LONG_NAME = `${'long-directory-name-'.repeat(6)}/${'segment'.repeat(20)}.rtpdump`;

async function makeTree(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['user-1/session-1/audio_1.rtpdump', noise(300_000, 1)],
    ['user-1/session-1/audio_1.sdp', Buffer.from('v=0\r\nm=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n')],
    ['user-1/session-1/timing_metadata.json', Buffer.from('{"callId":"c1"}\n')],
    ['user-2/session-9/video_1.rtpdump', noise(50_000, 2)],
    ['user-2/session-9/empty.sdp', Buffer.alloc(0)],
    ['ünïcødé/名前.sdp', Buffer.from('x')],
    [LONG_NAME, noise(1000, 3)],
  ]);
  for (const [name, data] of files) {
    await mkdir(path.join(root, path.dirname(name)), { recursive: true });
    await writeFile(path.join(root, name), data);
  }
  return files;
}

type ZipEntryInfo = { name: string; mode: number; date: number; time: number };

async function zipEntries(file: string): Promise<ZipEntryInfo[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  const entries: ZipEntryInfo[] = [];
  for await (const entry of zip.eachEntry()) {
    entries.push({ name: entry.fileName, mode: entry.externalFileAttributes >>> 16, date: entry.lastModFileDate, time: entry.lastModFileTime });
  }
  zip.close();
  return entries;
}

async function tarNames(file: string): Promise<string[]> {
  const extract = tar.extract();
  createReadStream(file).pipe(createGunzip()).pipe(extract);
  const names: string[] = [];
  for await (const entry of extract) {
    names.push(entry.header.name);
    entry.resume();
  }
  return names;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let box: Sandbox;
let root: string;
let files: Map<string, Buffer>;

beforeEach(async () => {
  box = await sandbox();
  root = path.join(box.base, 'tree');
  files = await makeTree(root);
});
afterEach(async () => {
  await box.remove();
});

const writers = [
  ['writeZipArchive', writeZipArchive, 'call.zip'],
  ['writeTarGzArchive', writeTarGzArchive, 'call.tar.gz'],
] as const;

describe.each(writers)('%s()', (_name, write, fileName) => {
  it('round-trips every file byte for byte through openArchiveInput(), plus manifest.json', async () => {
    const out = path.join(box.base, fileName);
    await write(root, out);
    const opened = await openArchiveInput({ file: out }, { workDir: box.work });
    try {
      const extracted = await readTree(opened.root);
      const manifestBytes = extracted.get('manifest.json');
      extracted.delete('manifest.json');
      expect(digests(extracted)).toEqual(digests(files));
      const manifest = JSON.parse(String(manifestBytes)) as { version: number; files: { path: string; size: number; sha256: string }[] };
      expect(manifest.version).toBe(1);
      expect(manifest.files.map((f) => f.path)).toEqual([...files.keys()].sort());
      for (const entry of manifest.files) {
        const data = files.get(entry.path)!;
        expect(entry).toEqual({ path: entry.path, size: data.byteLength, sha256: sha256(data) });
      }
    } finally {
      await opened.cleanup();
    }
  });

  it('writes the same bytes for the same tree, whatever the time zone', async () => {
    const a = path.join(box.base, `a-${fileName}`);
    const b = path.join(box.base, `b-${fileName}`);
    const tz = process.env['TZ'];
    try {
      process.env['TZ'] = 'America/Los_Angeles';
      await write(root, a);
      process.env['TZ'] = 'Asia/Kolkata';
      await write(root, b);
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
  });

  it('replaces a manifest.json already at the root instead of adding a second one', async () => {
    await writeFile(path.join(root, 'manifest.json'), '{"stale":true}');
    const out = path.join(box.base, fileName);
    await write(root, out);
    const opened = await openArchiveInput({ file: out }, { workDir: box.work });
    try {
      const manifest = JSON.parse(await readFile(path.join(opened.root, 'manifest.json'), 'utf8')) as { files: unknown[] };
      expect(manifest.files).toHaveLength(files.size);
    } finally {
      await opened.cleanup();
    }
  });

  it('leaves no output and no temporary file when the tree holds a symlink (INVALID_ARGUMENT)', async () => {
    await symlink('/etc/passwd', path.join(root, 'user-1', 'link'));
    const out = path.join(box.base, fileName);
    await expectTapedeckError(write(root, out), 'INVALID_ARGUMENT', `${root}: "user-1/link" is not a regular file; archives hold regular files only`);
    expect((await readdir(box.base)).sort()).toEqual(['tree', 'work']);
  });

  it('throws ABORTED and leaves no output and no temporary file when aborted', async () => {
    const out = path.join(box.base, fileName);
    const controller = new AbortController();
    controller.abort();
    await expectTapedeckError(write(root, out, { signal: controller.signal }), 'ABORTED', `${out}: aborted`);
    expect((await readdir(box.base)).sort()).toEqual(['tree', 'work']);
  });

  it('throws ABORTED and removes its temporary file when aborted while writing', async () => {
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 1));
    const outDir = path.join(box.base, 'out');
    await mkdir(outDir);
    const out = path.join(outDir, fileName);
    const controller = new AbortController();
    // Abort as soon as the temporary output file appears: writing has started.
    const watcher = watch(outDir, () => controller.abort());
    try {
      await expectTapedeckError(write(root, out, { signal: controller.signal }), 'ABORTED', `${out}: aborted`);
    } finally {
      watcher.close();
    }
    expect(await readdir(outDir)).toEqual([]);
  });

  it('omits manifest.json with { manifest: false }', async () => {
    const out = path.join(box.base, fileName);
    await write(root, out, { manifest: false });
    const opened = await openArchiveInput({ file: out }, { workDir: box.work });
    try {
      expect((await readTree(opened.root)).has('manifest.json')).toBe(false);
    } finally {
      await opened.cleanup();
    }
  });
});

describe('writeZipArchive() layout', () => {
  it('stores files in sorted path order, manifest.json last, mode 0100644 and time 2000-01-01 00:00', async () => {
    const out = path.join(box.base, 'call.zip');
    await writeZipArchive(root, out);
    const entries = await zipEntries(out);
    expect(entries.map((e) => e.name)).toEqual([...[...files.keys()].sort(), 'manifest.json']);
    for (const entry of entries) {
      expect(entry.mode).toBe(0o100644);
      expect(entry.date).toBe((20 << 9) | (1 << 5) | 1); // 2000-01-01
      expect(entry.time).toBe(0);
    }
  });
});

describe('writeTarGzArchive() layout', () => {
  it('stores files in sorted path order with manifest.json last', async () => {
    const out = path.join(box.base, 'call.tar.gz');
    await writeTarGzArchive(root, out);
    expect(await tarNames(out)).toEqual([...[...files.keys()].sort(), 'manifest.json']);
  });
});

describe('ZIP64', () => {
  it('openArchiveInput() reads a ZIP64 archive (yazl forceZip64Format) back byte for byte', async () => {
    const specs = [...files].map(([name, data]) => ({ name, data }));
    const bytes = await zipBuffer(specs, { forceZip64: true });
    // zip64 end of central directory record and locator are present
    expect(bytes.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBeGreaterThan(0);
    expect(bytes.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBeGreaterThan(0);
    const file = path.join(box.base, 'zip64.zip');
    await writeFile(file, bytes);
    const opened = await openArchiveInput({ file }, { workDir: box.work });
    try {
      expect(digests(await readTree(opened.root))).toEqual(digests(files));
    } finally {
      await opened.cleanup();
    }
  });
});
