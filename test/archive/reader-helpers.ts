/** Shared by the archive reader, writer, hostile and remote tests: temp dirs and archive builders. */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { expect } from 'vitest';
import yazl from 'yazl';
import { TapedeckError, type ErrorCode } from '../../src/errors.js';

export type Sandbox = {
  /** A fresh directory of its own under os.tmpdir(). */
  readonly base: string;
  /** `base/work`, created empty: passed as workDir. */
  readonly work: string;
  remove(): Promise<void>;
};

export async function sandbox(): Promise<Sandbox> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  await mkdir(path.join(base, 'work'));
  return { base, work: path.join(base, 'work'), remove: () => rm(base, { recursive: true, force: true }) };
}

/** Every path under `dir`, relative, `/`-separated, sorted (directories included). */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((entry) => entry.split(path.sep).join('/')).sort();
}

/** Path → bytes of every file under `dir`. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, absolute).split(path.sep).join('/'), await readFile(absolute));
  }
  return files;
}

export type ZipSpec = {
  readonly name: string;
  readonly data?: Buffer | string;
  /** A stream of `size` zero bytes instead of `data` (for bombs). */
  readonly zeros?: number;
  readonly directory?: boolean;
  /** Unix mode including file type bits, e.g. 0o120777 for a symlink. */
  readonly mode?: number;
  readonly compress?: boolean;
};

function zeroStream(size: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let left = size;
  return new Readable({
    read(): void {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk.byteLength);
      left -= n;
      this.push(chunk.subarray(0, n));
    },
  });
}

/** Builds a ZIP in memory with yazl. */
export async function zipBuffer(entries: readonly ZipSpec[], options: { forceZip64?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date(1980, 0, 1);
  for (const spec of entries) {
    const base = {
      mtime,
      forceZip64Format: options.forceZip64 ?? false,
      ...(spec.mode === undefined ? {} : { mode: spec.mode }),
      ...(spec.compress === undefined ? {} : { compress: spec.compress }),
    };
    if (spec.directory === true) zip.addEmptyDirectory(spec.name, { mtime, ...(spec.mode === undefined ? {} : { mode: spec.mode }) });
    else if (spec.zeros !== undefined) zip.addReadStream(zeroStream(spec.zeros), spec.name, base);
    else zip.addBuffer(Buffer.from(spec.data ?? ''), spec.name, base);
  }
  zip.end({ forceZip64Format: options.forceZip64 ?? false, comment: '' });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export type TarSpec = {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly zeros?: number;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device' | 'block-device';
  readonly linkname?: string;
};

/** Builds a gzip-compressed tar in memory with tar-stream. */
export async function tarGzBuffer(entries: readonly TarSpec[], level = 6): Promise<Buffer> {
  const pack = tar.pack();
  const gzip = createGzip({ level });
  (pack as unknown as Readable).pipe(gzip);
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of gzip as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  })();
  for (const spec of entries) {
    const type = spec.type ?? 'file';
    const header = { name: spec.name, type, mtime: new Date(0), ...(spec.linkname === undefined ? {} : { linkname: spec.linkname }) };
    const zeros = spec.zeros;
    if (zeros !== undefined) {
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...header, size: zeros }, (error) => (error ? reject(error) : resolve()));
        const chunk = Buffer.alloc(1024 * 1024);
        let left = zeros;
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, chunk.byteLength);
            left -= n;
            if (!sink.write(chunk.subarray(0, n))) {
              sink.once('drain', pump);
              return;
            }
          }
          sink.end(null);
        };
        pump();
      });
    } else {
      await new Promise<void>((resolve, reject) => {
        const data = type === 'file' ? Buffer.from(spec.data ?? '') : Buffer.alloc(0);
        pack.entry({ ...header, size: data.byteLength }, data, (error) => (error ? reject(error) : resolve()));
      });
    }
  }
  pack.finalize();
  return collected;
}

/** Replaces every occurrence of `from` by `to` (same byte length) — to plant names yazl would refuse. */
export function patchBytes(bytes: Buffer, from: string | Buffer, to: string | Buffer): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.byteLength !== b.byteLength) throw new RangeError('patchBytes needs equal lengths');
  const out = Buffer.from(bytes);
  let at = out.indexOf(a);
  if (at < 0) throw new Error(`patchBytes: ${JSON.stringify(String(from))} not found`);
  while (at >= 0) {
    b.copy(out, at);
    at = out.indexOf(a, at + a.byteLength);
  }
  return out;
}

/** Offsets of every central directory file header (signature PK\1\2). */
export function centralHeaders(bytes: Buffer): number[] {
  const offsets: number[] = [];
  let at = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  while (at >= 0) {
    offsets.push(at);
    at = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4);
  }
  return offsets;
}

/** Awaits `promise`, expecting a TapedeckError with `code` and a one-line `message`. */
export async function expectTapedeckError(promise: Promise<unknown>, code: ErrorCode, message: string | RegExp): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  const e = error as TapedeckError;
  expect({ code: e.code, message: e.message }).toMatchObject({ code });
  expect(e.message).not.toMatch(/\n/);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
  return e;
}

/**
 * Path → "size sha256" of each file: compares trees byte for byte with readable diffs,
 * without a deep element-by-element equality over large buffers.
 */
export function digests(files: ReadonlyMap<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, data] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[name] = `${data.byteLength} ${createHash('sha256').update(data).digest('hex')}`;
  }
  return out;
}
