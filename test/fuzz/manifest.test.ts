/**
 * Fuzzing the manifest parser (20,000+ seeded cases per kind of input): parseManifest
 * returns a manifest or throws PARSE_ERROR / UNSAFE_ARCHIVE with a one-line message, for
 * arbitrary text, arbitrary JSON values and valid manifests with fields replaced or deleted.
 * A returned manifest has only safe, normalised, sorted, unique paths and serializes back
 * to an equal manifest. Saved inputs in test/fuzz/regressions/manifest/ are replayed.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  parseManifest,
  serializeManifest,
  type Manifest,
} from '../../src/archive/manifest.js';
import { mutatedJson, type Json } from '../archive/metadata-arbitraries.js';
import { FUZZ_RUNS, outcome } from './rtp-fuzz-support.js';

const REGRESSIONS = new URL('./regressions/manifest/', import.meta.url);

/** Plain checks (no `expect`): this runs 60,000+ times. */
function check(text: string): void {
  const result = outcome(() => parseManifest(text, 'manifest.json'));
  if (!result.ok) {
    const { code, message } = result.error;
    if ((code !== 'PARSE_ERROR' && code !== 'UNSAFE_ARCHIVE') || /[\r\n]/.test(message)) {
      throw new Error(`unexpected refusal: ${code}: ${JSON.stringify(message)}`);
    }
    return;
  }
  const manifest = result.value as Manifest;
  manifest.files.forEach((file, i) => {
    const inside = path.posix.resolve('/srv/root', file.path);
    if (
      !inside.startsWith('/srv/root/') ||
      path.posix.relative('/srv/root', inside) !== file.path
    ) {
      throw new Error(`path ${JSON.stringify(file.path)} leaves the root or is not normalised`);
    }
    const previous = manifest.files[i - 1];
    if (previous && compareCodePoints(previous.path, file.path) >= 0)
      throw new Error('files not sorted and unique');
  });
  if (!isDeepStrictEqual(parseManifest(serializeManifest(manifest), 'again'), manifest)) {
    throw new Error('serialize → parse changed the manifest');
  }
}

const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const segment = fc.constantFrom(
  'u',
  's1',
  'audio_1.rtpdump',
  '..',
  '.',
  '',
  'C:',
  '\\',
  '\u0000',
  'é',
  ' ',
  'manifest.json',
);
const pathLike = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

/** 40 valid manifests as plain JSON, to mutate. */
const VALID: Json[] = fc
  .sample(
    fc.uniqueArray(
      fc.record({
        path: fc.constantFrom(
          'u/s1/audio_1.rtpdump',
          'u/s1/audio_1.sdp',
          'u/s1/timing_metadata.json',
          'v/s2/video_1.rtpdump',
          'x',
        ),
        size: fc.nat(),
      }),
      { selector: (e) => e.path, maxLength: 5 },
    ),
    { seed: 0x3f0, numRuns: 40 },
  )
  .map((files) => ({ version: 1, files: files.map((f) => ({ ...f, sha256: SHA })) }));

const edgyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  pathLike,
  fc.constantFrom<Json>(
    0,
    -1,
    -0,
    1.5,
    2 ** 53,
    1e400,
    SHA.toUpperCase(),
    SHA.slice(1),
    null,
    [],
    {},
  ),
);

describe('parseManifest() fuzz', () => {
  it('returns a manifest or throws PARSE_ERROR for arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            ...'{}[]",:\\ 0123456789-.eE\n\u0000é',
            '"version"',
            '"files"',
            '"path"',
            '"size"',
            '"sha256"',
            `"${SHA}"`,
          ),
        }),
        check,
      ),
      {
        seed: 0x3f1,
        numRuns: FUZZ_RUNS,
      },
    );
  });

  it('returns a manifest or throws PARSE_ERROR for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => check(JSON.stringify(value))),
      { seed: 0x3f2, numRuns: FUZZ_RUNS },
    );
  });

  it('returns a manifest or throws PARSE_ERROR/UNSAFE_ARCHIVE for valid manifests with fields replaced or deleted', () => {
    fc.assert(
      fc.property(mutatedJson(fc.constantFrom(...VALID), edgyJson), (doc) =>
        check(JSON.stringify(doc)),
      ),
      {
        seed: 0x3f3,
        numRuns: FUZZ_RUNS,
      },
    );
  });

  it('replays every saved input in test/fuzz/regressions/manifest/', () => {
    const files = readdirSync(REGRESSIONS).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files)
      check(readFileSync(fileURLToPath(new URL(name, REGRESSIONS)), 'utf8'));
  });
});
