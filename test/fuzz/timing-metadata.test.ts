/**
 * Fuzzing timing metadata (20,000+ seeded cases per kind of input): parseTimingMetadata
 * returns a SessionTiming or throws METADATA_INVALID with a one-line message, for arbitrary
 * JSON values, for valid documents with fields replaced or deleted, and (through
 * parseTimingMetadataText) for broken JSON text. A returned session serializes and reads back
 * equal. Saved inputs in test/fuzz/regressions/timing-metadata/ are replayed.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  parseTimingMetadata,
  parseTimingMetadataText,
  serializeTimingMetadata,
} from '../../src/archive/timing-metadata.js';
import type { SessionTiming } from '../../src/archive/types.js';
import { mutatedJson, sessionTiming, type Json } from '../archive/metadata-arbitraries.js';
import { FUZZ_RUNS, outcome } from './rtp-fuzz-support.js';

const REGRESSIONS = new URL('./regressions/timing-metadata/', import.meta.url);

/** Plain checks (no `expect`): this runs 80,000+ times. */
function checkResult(result: ReturnType<typeof outcome>): void {
  if (!result.ok) {
    if (result.error.code !== 'METADATA_INVALID' || /[\r\n]/.test(result.error.message)) {
      throw new Error(
        `unexpected refusal: ${result.error.code}: ${JSON.stringify(result.error.message)}`,
      );
    }
    return;
  }
  const session = result.value as SessionTiming;
  const again = parseTimingMetadataText(serializeTimingMetadata(session), 'again');
  if (!isDeepStrictEqual(again, session)) throw new Error('serialize → parse changed the session');
}

const checkValue = (value: unknown): void =>
  checkResult(outcome(() => parseTimingMetadata(value, 'fuzz.json')));
const checkText = (text: string): void =>
  checkResult(outcome(() => parseTimingMetadataText(text, 'fuzz.json')));

/** 40 valid documents (at most one audio and one video segment each) as plain JSON, to mutate. */
const VALID: Json[] = fc
  .sample(sessionTiming, { seed: 0x7d0, numRuns: 40 })
  .map((s) => ({
    ...s,
    segments: { audio: s.segments.audio.slice(0, 1), video: s.segments.video.slice(0, 1) },
  }))
  .map((s) => JSON.parse(serializeTimingMetadata(s)) as Json);

/** Values that land on the fields' edge cases more often than arbitrary JSON does. */
const edgyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    0,
    -1,
    2 ** 32,
    2 ** 53,
    1e300,
    -0,
    0.5,
    '',
    'TRACK_TYPE_VIDEO',
    '2024-05-01T10:00:00Z',
    '../x',
    null,
    [],
    {},
  ),
);

describe('parseTimingMetadata() fuzz', () => {
  it('returns a session or throws METADATA_INVALID for arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), checkValue), { seed: 0x7d1, numRuns: FUZZ_RUNS });
  });

  it('returns a session or throws METADATA_INVALID for valid documents with fields replaced or deleted', () => {
    fc.assert(fc.property(mutatedJson(fc.constantFrom(...VALID), edgyJson), checkValue), {
      seed: 0x7d2,
      numRuns: FUZZ_RUNS,
    });
  });

  it('returns a session or throws METADATA_INVALID for valid JSON text with characters inserted or removed', () => {
    const texts = VALID.map((doc) => JSON.stringify(doc));
    const edited = fc
      .tuple(
        fc.constantFrom(...texts),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ...'{}[]",:\\ 0-.e\u0000\ud800')), {
          minLength: 1,
          maxLength: 3,
        }),
      )
      .map(([text, edits]) =>
        edits.reduce((t, [at, insert]) => {
          const i = at % (t.length + 1);
          return insert === ''
            ? t.slice(0, i) + t.slice(i + 1)
            : t.slice(0, i) + insert + t.slice(i);
        }, text),
      );
    fc.assert(fc.property(edited, checkText), { seed: 0x7d3, numRuns: FUZZ_RUNS });
  });

  it('replays every saved input in test/fuzz/regressions/timing-metadata/', () => {
    const files = readdirSync(REGRESSIONS).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files)
      checkText(readFileSync(fileURLToPath(new URL(name, REGRESSIONS)), 'utf8'));
  });
});
