/**
 * Fuzzing the archive reader's safety: `checkEntryPath` (20,000+ seeded names: it throws
 * UNSAFE_ARCHIVE or returns a path that stays inside any root, POSIX or Windows), and
 * extraction of mutated ZIP and tar.gz archives (it succeeds inside workDir or throws a
 * catalog error, leaving workDir empty). Saved cases in test/fuzz/regressions/archive-entries/
 * are replayed: `*.json` entry names with their expected outcome, `*.zip`/`*.tar.gz` archives.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEntryPath } from '../../src/archive/reader/entry-path.js';
import { openArchiveInput } from '../../src/archive/reader/open-input.js';
import { TapedeckError } from '../../src/errors.js';
import { tarGzBuffer, zipBuffer } from '../archive/reader-helpers.js';
import { FUZZ_RUNS, mutated } from './rtp-fuzz-support.js';

/**
 * Extraction touches the disk (a few ms per case here), so it runs 400 seeded cases per
 * archive kind by default, 1/50 of TAPEDECK_FUZZ_RUNS for a deeper hunt.
 */
const EXTRACTION_RUNS = Math.max(400, Math.floor(FUZZ_RUNS / 50));
const REGRESSIONS = new URL('./regressions/archive-entries/', import.meta.url);

/** Throws UNSAFE_ARCHIVE, or returns a normalised path that stays inside a root on POSIX and Windows. */
function checkName(name: string): string | undefined {
  let result: string;
  try {
    result = checkEntryPath(name);
  } catch (error) {
    if (!(error instanceof TapedeckError) || error.code !== 'UNSAFE_ARCHIVE') throw error;
    expect(error.message).not.toMatch(/\n/);
    return undefined;
  }
  expect(result.length).toBeGreaterThan(0);
  const segments = result.split('/');
  expect(segments.every((s) => s !== '' && s !== '.' && s !== '..')).toBe(true);
  expect(path.posix.resolve('/srv/root', result).startsWith('/srv/root/')).toBe(true);
  expect(path.win32.resolve('C:\\srv\\root', result).startsWith('C:\\srv\\root\\')).toBe(true);
  expect(path.posix.relative('/srv/root', path.posix.join('/srv/root', result))).toBe(result);
  expect(checkEntryPath(result)).toBe(result); // normalising is idempotent
  return result;
}

const token = fc.constantFrom(
  '..', '.', '/', '//', '\\', 'C:', 'c:', ':', '\0', ' ', '...', '. .', 'a', 'b.rtpdump', 'é', '名',
  '\u2025', '\uff0f', '\n', '\u007f', '~', '$HOME', '%2e%2e', 'CON', '\ud800',
);
const names = fc.oneof(
  { weight: 5, arbitrary: fc.array(token, { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 3, arbitrary: fc.array(fc.oneof(token, fc.string({ maxLength: 6 })), { maxLength: 8 }).map((parts) => parts.join('/')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
);

describe('checkEntryPath() fuzz', () => {
  it('throws UNSAFE_ARCHIVE or returns a path that stays inside the root, for 20,000+ seeded names', () => {
    fc.assert(
      fc.property(names, (name) => {
        checkName(name);
      }),
      { seed: 0xa4c1, numRuns: FUZZ_RUNS },
    );
  });

  it('replays every saved entry-name case in test/fuzz/regressions/archive-entries/', () => {
    const cases = readdirSync(REGRESSIONS).filter((f) => f.endsWith('.json'));
    expect(cases.length).toBeGreaterThan(0);
    for (const file of cases) {
      const saved = JSON.parse(readFileSync(new URL(file, REGRESSIONS), 'utf8')) as { name: string; expect: string };
      expect({ file, outcome: checkName(saved.name) ?? 'UNSAFE_ARCHIVE' }).toEqual({ file, outcome: saved.expect });
    }
  });
});

describe('openArchiveInput() on mutated archives', () => {
  let base: string;
  let seeds: Uint8Array[];
  let tarSeeds: Uint8Array[];
  let counter = 0;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
    const content = [
      { name: 'u1/s1/audio_1.sdp', data: 'v=0\r\nm=audio 9 RTP/AVP 111\r\n' },
      { name: 'u1/s1/audio_1.rtpdump', data: Buffer.alloc(700, 3) },
      { name: 'u1/s1/timing_metadata.json', data: '{"a":1}' },
    ];
    const zip = await zipBuffer(content);
    const stored = await zipBuffer(content.map((c) => ({ ...c, compress: false })));
    const zip64 = await zipBuffer(content, { forceZip64: true });
    seeds = [zip, stored, zip64].map((b) => new Uint8Array(b));
    // Mutate the tar before gzip, so the tar parser sees the damage (not just gzip's CRC).
    const tgz = await tarGzBuffer([...content, { name: 'u1/dir', type: 'directory' }]);
    const { gunzipSync } = await import('node:zlib');
    tarSeeds = [new Uint8Array(gunzipSync(tgz))];
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** Opens `bytes`: success inside workDir, or a catalog refusal with workDir left empty. */
  async function extract(bytes: Uint8Array, extension: string): Promise<void> {
    counter += 1;
    const file = path.join(base, `case-${counter}${extension}`);
    const workDir = path.join(base, `work-${counter}`);
    await mkdir(workDir);
    await writeFile(file, bytes);
    try {
      const opened = await openArchiveInput({ file }, { workDir, limits: { maxTotalBytes: 64 * 1024 * 1024 } });
      expect(path.dirname(opened.root)).toBe(workDir);
      await opened.cleanup();
    } catch (error) {
      if (!(error instanceof TapedeckError) || !['PARSE_ERROR', 'UNSAFE_ARCHIVE', 'ARCHIVE_LIMIT'].includes(error.code)) {
        const hint = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new Error(`extraction threw something other than a refusal: ${hint}`, { cause: error });
      }
      expect(error.message).not.toMatch(/\n/);
    }
    expect(await readdir(workDir)).toEqual([]);
    await rm(workDir, { recursive: true });
    await rm(file);
  }

  it('mutated ZIPs (deflated, stored, ZIP64) extract or are refused with a catalog error', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(seeds), (bytes) => extract(bytes, '.zip')),
      { seed: 0xa4c2, numRuns: EXTRACTION_RUNS },
    );
  });

  it('tar.gz archives of mutated tars extract or are refused with a catalog error', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(tarSeeds), (tarBytes) => extract(gzipSync(tarBytes), '.tar.gz')),
      { seed: 0xa4c3, numRuns: EXTRACTION_RUNS },
    );
  });

  it('replays every saved archive in test/fuzz/regressions/archive-entries/', async () => {
    for (const file of readdirSync(REGRESSIONS)) {
      if (file.endsWith('.zip')) await extract(readFileSync(new URL(file, REGRESSIONS)), '.zip');
      else if (file.endsWith('.tar.gz')) await extract(readFileSync(new URL(file, REGRESSIONS)), '.tar.gz');
    }
  });
});
