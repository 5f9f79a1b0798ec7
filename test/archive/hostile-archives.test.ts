import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveLimits } from '../../src/archive/reader/archive-limits.js';
import { openArchiveInput } from '../../src/archive/reader/open-input.js';
import type { ErrorCode } from '../../src/errors.js';
import { centralHeaders, expectTapedeckError, patchBytes, sandbox, tarGzBuffer, zipBuffer, type Sandbox } from './reader-helpers.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.remove();
});

/**
 * Writes `bytes` as `name` in the sandbox, opens it with workDir = sandbox/work, and
 * expects the refusal; then checks that the sandbox holds only the archive and an empty
 * workDir (nothing extracted survives, nothing was written beside workDir).
 */
async function expectRefused(
  bytes: Buffer,
  name: string,
  code: ErrorCode,
  reason: string | RegExp,
  limits?: ArchiveLimits,
): Promise<void> {
  const file = path.join(box.base, name);
  await writeFile(file, bytes);
  const message = typeof reason === 'string' ? `${file}: ${reason}` : reason;
  await expectTapedeckError(openArchiveInput({ file }, { workDir: box.work, ...(limits ? { limits } : {}) }), code, message);
  expect((await readdir(box.base)).sort()).toEqual([name, 'work']);
  expect(await readdir(box.work)).toEqual([]);
}

describe('openArchiveInput() refuses path escapes (UNSAFE_ARCHIVE)', () => {
  it('a ZIP entry "../../etc/x"', async () => {
    const zip = patchBytes(await zipBuffer([{ name: 'ok.txt', data: 'a' }, { name: 'AA/AA/etc/x', data: 'pwned' }]), 'AA/AA/etc/x', '../../etc/x');
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "../../etc/x" escapes the archive root');
  });

  it('a tar.gz entry "../../etc/x"', async () => {
    const tgz = await tarGzBuffer([{ name: 'ok.txt', data: 'a' }, { name: '../../etc/x', data: 'pwned' }]);
    await expectRefused(tgz, 'in.tar.gz', 'UNSAFE_ARCHIVE', 'entry "../../etc/x" escapes the archive root');
  });

  it('a ZIP entry with an absolute path', async () => {
    const zip = patchBytes(await zipBuffer([{ name: 'Xetc/passwd', data: 'x' }]), 'Xetc/passwd', '/etc/passwd');
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "/etc/passwd" escapes the archive root');
  });

  it('a tar.gz entry with an absolute path', async () => {
    const tgz = await tarGzBuffer([{ name: '/tmp/tapedeck-escape', data: 'x' }]);
    await expectRefused(tgz, 'in.tgz', 'UNSAFE_ARCHIVE', 'entry "/tmp/tapedeck-escape" escapes the archive root');
  });

  it('a ZIP entry with a drive letter', async () => {
    const zip = patchBytes(await zipBuffer([{ name: 'CC/Windows/x', data: 'x' }]), 'CC/Windows/x', 'C:/Windows/x');
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "C:/Windows/x" escapes the archive root');
  });

  it('a ZIP entry with backslash separators', async () => {
    const zip = patchBytes(await zipBuffer([{ name: 'AA/AA/x', data: 'x' }]), 'AA/AA/x', '..\\..\\x');
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "..\\\\..\\\\x" contains a backslash');
  });

  it('a ZIP entry with a NUL byte in its name', async () => {
    const zip = patchBytes(await zipBuffer([{ name: 'evil.txtXjpg', data: 'x' }]), 'evil.txtXjpg', 'evil.txt\0jpg');
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "evil.txt\\u0000jpg" contains a NUL byte');
  });
});

describe('openArchiveInput() refuses links and special files (UNSAFE_ARCHIVE)', () => {
  it('a symlink in a tar.gz', async () => {
    const tgz = await tarGzBuffer([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }]);
    await expectRefused(tgz, 'in.tar.gz', 'UNSAFE_ARCHIVE', 'entry "link" is a symbolic link');
  });

  it('a symlink in a ZIP (external attributes S_IFLNK)', async () => {
    const zip = await zipBuffer([{ name: 'link', data: '/etc/passwd', mode: 0o120777 }]);
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "link" is a symbolic link');
  });

  it('a hard link in a tar.gz', async () => {
    const tgz = await tarGzBuffer([{ name: 'a.txt', data: 'x' }, { name: 'b.txt', type: 'link', linkname: 'a.txt' }]);
    await expectRefused(tgz, 'in.tar.gz', 'UNSAFE_ARCHIVE', 'entry "b.txt" is a hard link');
  });

  it('a FIFO in a tar.gz', async () => {
    await expectRefused(await tarGzBuffer([{ name: 'pipe', type: 'fifo' }]), 'fifo.tar.gz', 'UNSAFE_ARCHIVE', 'entry "pipe" is a FIFO');
  });

  it('a character device in a tar.gz', async () => {
    const tgz = await tarGzBuffer([{ name: 'null', type: 'character-device' }]);
    await expectRefused(tgz, 'dev.tar.gz', 'UNSAFE_ARCHIVE', 'entry "null" is a character device');
  });

  it('a FIFO in a ZIP (external attributes S_IFIFO)', async () => {
    const zip = await zipBuffer([{ name: 'pipe', data: '', mode: 0o010644 }]);
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "pipe" is a FIFO');
  });
});

describe('openArchiveInput() refuses duplicate and clashing paths (UNSAFE_ARCHIVE)', () => {
  it('two ZIP entries with the same path', async () => {
    const zip = await zipBuffer([{ name: 'a/x.sdp', data: '1' }, { name: 'a/x.sdp', data: '2' }]);
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "a/x.sdp" duplicates the path "a/x.sdp"');
  });

  it('two tar.gz entries whose paths differ only in case or "./"', async () => {
    const tgz = await tarGzBuffer([{ name: './a/X.sdp', data: '1' }, { name: 'a/x.sdp', data: '2' }]);
    await expectRefused(tgz, 'in.tar.gz', 'UNSAFE_ARCHIVE', 'entry "a/x.sdp" duplicates the path "a/X.sdp"');
  });

  it('an entry inside a path already extracted as a file', async () => {
    const tgz = await tarGzBuffer([{ name: 'a', data: '1' }, { name: 'a/b', data: '2' }]);
    await expectRefused(tgz, 'in.tar.gz', 'UNSAFE_ARCHIVE', 'entry "a/b" lies inside the file "a"');
  });

  it('a file entry over a directory entry', async () => {
    const zip = await zipBuffer([{ name: 'a', directory: true }, { name: 'a', data: '1' }]);
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', 'entry "a" duplicates the path "a"');
  });

  it('ZIP entries whose data overlap (the non-recursive zip bomb construction)', async () => {
    const zip = await zipBuffer([{ name: 'a.bin', data: 'aaaa' }, { name: 'b.bin', data: 'bbbb' }]);
    const [, second] = centralHeaders(zip);
    zip.writeUInt32LE(0, second! + 42); // b.bin's local header offset → a.bin's
    await expectRefused(zip, 'in.zip', 'UNSAFE_ARCHIVE', /entries "(a|b)\.bin" and "(a|b)\.bin" overlap \(a zip bomb construction\)$/);
  });
});

describe('openArchiveInput() enforces limits (ARCHIVE_LIMIT)', () => {
  const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }));

  it('more ZIP entries than maxEntries, refused from the declared count', async () => {
    await expectRefused(await zipBuffer(eleven), 'in.zip', 'ARCHIVE_LIMIT', 'holds more than 10 entries (11 declared)', { maxEntries: 10 });
  });

  it('more tar.gz entries than maxEntries, counted while streaming', async () => {
    await expectRefused(await tarGzBuffer(eleven), 'in.tar.gz', 'ARCHIVE_LIMIT', 'holds more than 10 entries', { maxEntries: 10 });
  });

  it('a ZIP entry over maxEntryBytes', async () => {
    const zip = await zipBuffer([{ name: 'big.bin', data: Buffer.alloc(2000, 1) }]);
    await expectRefused(zip, 'in.zip', 'ARCHIVE_LIMIT', 'entry "big.bin" is larger than the per-entry limit of 1000 bytes', { maxEntryBytes: 1000 });
  });

  it('a tar.gz whose files add up past maxTotalBytes, counted on bytes written', async () => {
    const tgz = await tarGzBuffer([{ name: 'a.bin', data: Buffer.alloc(600, 1) }, { name: 'b.bin', data: Buffer.alloc(600, 2) }]);
    await expectRefused(tgz, 'in.tar.gz', 'ARCHIVE_LIMIT', 'expands past the total limit of 1000 bytes', { maxTotalBytes: 1000 });
  });

  describe('compression bombs: 200 MB of zeros', () => {
    const size = 200 * 1024 * 1024;
    let zipBomb: Buffer;
    let tarBomb: Buffer;
    beforeAll(async () => {
      zipBomb = await zipBuffer([{ name: 'zeros.bin', zeros: size }]);
      tarBomb = await tarGzBuffer([{ name: 'zeros.bin', zeros: size }], 9);
    });

    it('a ZIP bomb is refused from its declared ratio before anything is written', async () => {
      expect(zipBomb.byteLength).toBeLessThan(size / 1000);
      await expectRefused(zipBomb, 'bomb.zip', 'ARCHIVE_LIMIT', 'entry "zeros.bin" compresses more than 1000:1 (a decompression bomb)');
    });

    it('a ZIP bomb is refused by a low total limit', async () => {
      await expectRefused(zipBomb, 'bomb.zip', 'ARCHIVE_LIMIT', 'declares more than the total limit of 10485760 bytes', { maxTotalBytes: 10 * 1024 * 1024 });
    });

    it('a ZIP bomb whose central directory declares 100 bytes stops at byte 101 (declared-size lie)', async () => {
      const lying = Buffer.from(zipBomb);
      const [header] = centralHeaders(lying);
      lying.writeUInt32LE(100, header! + 24); // uncompressed size
      await expectRefused(lying, 'lie.zip', 'UNSAFE_ARCHIVE', 'entry "zeros.bin" holds more bytes than the 100 it declares');
    });

    it('a tar.gz bomb is refused while streaming by its measured ratio', async () => {
      expect(tarBomb.byteLength).toBeLessThan(size / 1000);
      await expectRefused(tarBomb, 'bomb.tar.gz', 'ARCHIVE_LIMIT', 'compresses more than 1000:1 (a decompression bomb)');
    });

    it('a tar.gz bomb is refused by a low total limit counted on bytes written', async () => {
      await expectRefused(tarBomb, 'bomb.tar.gz', 'ARCHIVE_LIMIT', 'expands past the total limit of 10485760 bytes', {
        maxTotalBytes: 10 * 1024 * 1024,
        maxCompressionRatio: 100_000,
      });
    });
  });
});

describe('openArchiveInput() refuses damaged and foreign files (PARSE_ERROR)', () => {
  it('a truncated ZIP', async () => {
    const zip = await zipBuffer([{ name: 'a.bin', data: Buffer.alloc(5000, 7) }, { name: 'b.txt', data: 'hello' }]);
    await expectRefused(zip.subarray(0, zip.byteLength - 30), 'cut.zip', 'PARSE_ERROR', 'truncated, or not a ZIP archive (no end of central directory record)');
  });

  it('a truncated tar.gz', async () => {
    const tgz = await tarGzBuffer([{ name: 'a.bin', data: Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) & 0xff)) }]);
    await expectRefused(tgz.subarray(0, tgz.byteLength >> 1), 'cut.tar.gz', 'PARSE_ERROR', 'truncated gzip stream (unexpected end of file)');
  });

  it('a garbage file, whatever its extension', async () => {
    await expectRefused(Buffer.from('this is not an archive at all'), 'garbage.zip', 'PARSE_ERROR', 'not a ZIP or gzip-compressed tar archive');
  });

  it('an empty file', async () => {
    await expectRefused(Buffer.alloc(0), 'empty.tar.gz', 'PARSE_ERROR', 'not a ZIP or gzip-compressed tar archive');
  });

  it('gzip data that is not a tar', async () => {
    await expectRefused(gzipSync(Buffer.alloc(4096, 0x41)), 'plain.gz', 'PARSE_ERROR', /^.*: not a ZIP or gzip-compressed tar archive \(Invalid tar header/);
  });

  it('a ZIP entry whose data fails its CRC-32', async () => {
    const zip = await zipBuffer([{ name: 'a.txt', data: 'hello world', compress: false }]);
    await expectRefused(patchBytes(zip, 'hello world', 'hello World'), 'crc.zip', 'PARSE_ERROR', 'entry "a.txt" fails its CRC-32 check (damaged archive)');
  });

  it('a ZIP entry shorter than it declares', async () => {
    const zip = await zipBuffer([{ name: 'a.bin', data: Buffer.alloc(4000, 3) }]);
    const [header] = centralHeaders(zip);
    zip.writeUInt32LE(5000, header! + 24);
    await expectRefused(zip, 'short.zip', 'PARSE_ERROR', 'entry "a.bin" holds 4000 bytes but declares 5000 (damaged archive)');
  });

  it('an encrypted ZIP entry', async () => {
    const zip = await zipBuffer([{ name: 'a.txt', data: 'secret', compress: false }]);
    const [header] = centralHeaders(zip);
    zip.writeUInt16LE(zip.readUInt16LE(header! + 8) | 1, header! + 8);
    await expectRefused(zip, 'enc.zip', 'PARSE_ERROR', 'entry "a.txt" is encrypted, which tapedeck cannot read');
  });
});

describe('openArchiveInput() abort', () => {
  it('an already aborted signal throws ABORTED and leaves nothing behind', async () => {
    const controller = new AbortController();
    controller.abort();
    const file = path.join(box.base, 'in.zip');
    await writeFile(file, await zipBuffer([{ name: 'a.txt', data: 'x' }]));
    await expectTapedeckError(openArchiveInput({ file }, { workDir: box.work, signal: controller.signal }), 'ABORTED', `${file}: aborted`);
    expect((await readdir(box.base)).sort()).toEqual(['in.zip', 'work']);
    expect(await readdir(box.work)).toEqual([]);
  });

  it('an abort during extraction throws ABORTED and removes what was extracted', async () => {
    const controller = new AbortController();
    const file = path.join(box.base, 'in.tar.gz');
    const entries = Array.from({ length: 200 }, (_, i) => ({ name: `d/f${i}.bin`, data: Buffer.alloc(10_000, i) }));
    await writeFile(file, await tarGzBuffer(entries));
    const opening = openArchiveInput({ file }, { workDir: box.work, signal: controller.signal });
    setImmediate(() => controller.abort());
    await expectTapedeckError(opening, 'ABORTED', `${file}: aborted`);
    expect(await readdir(box.work)).toEqual([]);
  });
});
