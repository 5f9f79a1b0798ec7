/**
 * Parser fuzzing (fast-check, fixed seeds, 20 000 runs each): random bytes and mutations of
 * a valid input either parse or throw ParseError, never anything else.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { parseAv1SequenceHeader } from '../../../src/media/depacketize/av1-obu.js';
import { parseH264Sps } from '../../../src/media/depacketize/h264-sps.js';
import { parseRedPayload } from '../../../src/media/depacketize/red.js';
import { parseVp8Descriptor } from '../../../src/media/depacketize/vp8.js';
import { parseVp9Descriptor } from '../../../src/media/depacketize/vp9.js';
import { parseVp9FrameHeader } from '../../../src/media/depacketize/vp9-header.js';
import { av1SequenceHeaderPayload, SPS_1920x1080, vp9Keyframe } from './helpers/codec.js';
import { SEEDS } from './helpers/fuzz-seeds.js';

const RUNS = 20_000;

/** Runs a parser on random bytes and on mutations of a valid input: value or ParseError. */
function fuzzParser(
  name: string,
  parse: (b: Uint8Array) => unknown,
  valid: Uint8Array,
  seed: number,
): void {
  it(`${name}: ${RUNS} random inputs return a value or throw ParseError`, () => {
    const mutated = fc
      .tuple(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([edits, cut]) => {
        const bytes = Uint8Array.from(valid);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return bytes.subarray(0, cut % (bytes.length + 1));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        try {
          parse(bytes);
        } catch (error) {
          if (!(error instanceof ParseError)) throw error;
        }
      }),
      { seed, numRuns: RUNS },
    );
  });
}

describe('parser fuzzing', () => {
  fuzzParser(
    'parseH264Sps()',
    (b) => parseH264Sps(Uint8Array.from([0x67, ...b])),
    SPS_1920x1080.subarray(1),
    6184,
  );
  fuzzParser(
    'parseVp9FrameHeader()',
    parseVp9FrameHeader,
    Uint8Array.from(vp9Keyframe(640, 480)),
    9628,
  );
  fuzzParser(
    'parseAv1SequenceHeader()',
    parseAv1SequenceHeader,
    av1SequenceHeaderPayload(1280, 720),
    1,
  );
  fuzzParser(
    'parseRedPayload()',
    parseRedPayload,
    Uint8Array.of(0xef, 0x0f, 0x00, 0x02, 0x6f, 1, 2, 3),
    2198,
  );
  fuzzParser('parseVp8Descriptor()', parseVp8Descriptor, SEEDS.VP8[1]!, 7741);
  fuzzParser('parseVp9Descriptor()', parseVp9Descriptor, SEEDS.VP9[0]!, 9629);
});
