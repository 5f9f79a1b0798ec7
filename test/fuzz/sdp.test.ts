/**
 * Fuzzing the SDP parser (20,000+ seeded cases per kind of input): parseSdp returns a
 * description or throws a TapedeckError (ParseError SDP_INVALID); what it returns resolves
 * (or throws UNSUPPORTED_CODEC), serializes without throwing, and parses again. Saved
 * inputs in test/fuzz/regressions/sdp/ are replayed.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSdp } from '../../src/sdp/parse-sdp.js';
import { resolveCodec } from '../../src/sdp/resolve-codec.js';
import { serializeSdp } from '../../src/sdp/serialize-sdp.js';
import type { SessionDescription } from '../../src/sdp/types.js';
import {
  CHROME_OFFER,
  FFMPEG_H264,
  FFMPEG_OPUS,
  H264_ANSWER,
  VP8_FLEXFEC_ANSWER,
} from '../sdp/sdp-examples.js';
import { sdpLikeText } from '../sdp/sdp-arbitraries.js';
import { FUZZ_RUNS, outcome } from './rtp-fuzz-support.js';

const REGRESSIONS = new URL('./regressions/sdp/', import.meta.url);

/** Plain checks (no `expect`): this runs 60,000+ times. */
function check(text: string): void {
  const parsed = outcome(() => parseSdp(text));
  if (!parsed.ok) {
    if (parsed.error.code !== 'SDP_INVALID' || /[\r\n]/.test(parsed.error.message)) {
      throw new Error(
        `unexpected refusal: ${parsed.error.code}: ${JSON.stringify(parsed.error.message)}`,
      );
    }
    return;
  }
  const sdp = parsed.value as SessionDescription;
  for (const media of sdp.media) {
    const codec = outcome(() => resolveCodec(media));
    if (!codec.ok && codec.error.code !== 'UNSUPPORTED_CODEC')
      throw new Error(`resolveCodec threw ${codec.error.code}`);
  }
  parseSdp(serializeSdp(sdp));
}

/** Valid SDPs with a few lines replaced, dropped, duplicated or cut short. */
const mutatedSdp = fc
  .tuple(
    fc.constantFrom(CHROME_OFFER, FFMPEG_OPUS, FFMPEG_H264, H264_ANSWER, VP8_FLEXFEC_ANSWER),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('drop', 'dup', 'cut', 'replace'),
        fc.string({ maxLength: 20 }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([text, edits]) => {
    const lines = text.split('\r\n');
    for (const [at, kind, junk] of edits) {
      const i = at % lines.length;
      const line = lines[i] ?? '';
      if (kind === 'drop') lines.splice(i, 1);
      else if (kind === 'dup') lines.splice(i, 0, line);
      else if (kind === 'cut') lines[i] = line.slice(0, at % (line.length + 1));
      else lines[i] = line.slice(0, 2 + (at % 12)) + junk;
    }
    return lines.join(at0(edits) % 2 === 0 ? '\r\n' : '\n');
  });

function at0(edits: readonly (readonly [number, ...unknown[]])[]): number {
  return edits[0]?.[0] ?? 0;
}

describe('parseSdp() fuzz', () => {
  it('returns a description or throws SDP_INVALID for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), {
      seed: 0x5d0,
      numRuns: FUZZ_RUNS,
    });
  });

  it('returns a description or throws SDP_INVALID for SDP-like line soups', () => {
    fc.assert(fc.property(sdpLikeText, check), { seed: 0x5d1, numRuns: FUZZ_RUNS });
  });

  it('returns a description or throws SDP_INVALID for mutated browser and ffmpeg SDPs', () => {
    fc.assert(fc.property(mutatedSdp, check), { seed: 0x5d2, numRuns: FUZZ_RUNS });
  });

  it('replays every saved input in test/fuzz/regressions/sdp/', () => {
    const files = readdirSync(REGRESSIONS).filter((name) => name.endsWith('.sdp'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files)
      check(readFileSync(fileURLToPath(new URL(name, REGRESSIONS)), 'utf8'));
  });
});
