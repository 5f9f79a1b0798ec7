import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, TapedeckError } from '../../src/errors.js';
import {
  buildManifest,
  compareCodePoints,
  parseManifest,
  serializeManifest,
  type ManifestEntry,
} from '../../src/archive/manifest.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);

function manifestError(text: string): TapedeckError {
  try {
    parseManifest(text, 'manifest.json');
  } catch (error) {
    if (error instanceof TapedeckError) return error;
    throw error;
  }
  throw new Error('expected a TapedeckError');
}

const doc = (files: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ version: 1, files, ...extra });

const manifestEntries: fc.Arbitrary<ManifestEntry[]> = fc.uniqueArray(
  fc.record({
    path: fc
      .array(
        fc
          .stringMatching(/^[A-Za-z0-9_.\u00e9\u4e2d\u{1F600}-]{1,8}$/u)
          .filter((s) => s !== '.' && s !== '..'),
        { minLength: 1, maxLength: 3 },
      )
      .map((segments) => segments.join('/'))
      .filter((p) => p !== 'manifest.json'),
    size: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
  }),
  { selector: (e) => e.path, maxLength: 8 },
);

describe('parseManifest()', () => {
  it('reads version 1 with files, returned sorted by path, checksums lower-cased, unknown fields ignored', () => {
    const manifest = parseManifest(
      doc(
        [
          { path: 'u/s/video_1.rtpdump', size: 10, sha256: SHA_B.toUpperCase(), mtime: 1 },
          { path: 'u/s/audio_1.rtpdump', size: 0, sha256: SHA_A },
        ],
        { writer: 'tapedeck 0.1' },
      ),
      'manifest.json',
    );
    expect(manifest).toEqual({
      version: 1,
      files: [
        { path: 'u/s/audio_1.rtpdump', size: 0, sha256: SHA_A },
        { path: 'u/s/video_1.rtpdump', size: 10, sha256: SHA_B },
      ],
    });
  });

  it.each([
    [
      doc([{ path: '/etc/passwd', size: 1, sha256: SHA_A }]),
      'UNSAFE_ARCHIVE',
      'manifest.json: files[0].path "/etc/passwd" is absolute',
    ],
    [
      doc([{ path: 'u/../../x', size: 1, sha256: SHA_A }]),
      'UNSAFE_ARCHIVE',
      'manifest.json: files[0].path "u/../../x" escapes the archive root',
    ],
    [
      doc([{ path: 'C:/x', size: 1, sha256: SHA_A }]),
      'UNSAFE_ARCHIVE',
      'manifest.json: files[0].path "C:/x" is absolute',
    ],
    [
      doc([{ path: 'u\\x', size: 1, sha256: SHA_A }]),
      'UNSAFE_ARCHIVE',
      'manifest.json: files[0].path "u\\\\x" contains a backslash',
    ],
    [
      doc([{ path: 'a\u0000b', size: 1, sha256: SHA_A }]),
      'UNSAFE_ARCHIVE',
      'manifest.json: files[0].path "a\\u0000b" contains a control character',
    ],
    [
      doc([{ path: 'u//x', size: 1, sha256: SHA_A }]),
      'PARSE_ERROR',
      'manifest.json: files[0].path "u//x" is not normalised (empty or "." segment)',
    ],
    [
      doc([{ path: 'manifest.json', size: 1, sha256: SHA_A }]),
      'PARSE_ERROR',
      'manifest.json: files[0].path "manifest.json" is the manifest itself',
    ],
    [
      doc([{ path: 'a', size: -1, sha256: SHA_A }]),
      'PARSE_ERROR',
      'manifest.json: files[0].size must be a non-negative integer, got -1',
    ],
    [
      doc([{ path: 'a', size: '1', sha256: SHA_A }]),
      'PARSE_ERROR',
      'manifest.json: files[0].size must be an integer, got "1"',
    ],
    [
      doc([{ path: 'a', size: 1, sha256: 'abc' }]),
      'PARSE_ERROR',
      'manifest.json: files[0].sha256 must be 64 hex digits, got "abc"',
    ],
    [doc([{ size: 1, sha256: SHA_A }]), 'PARSE_ERROR', 'manifest.json: files[0].path is missing'],
    [
      doc([
        { path: 'b', size: 1, sha256: SHA_A },
        { path: 'a', size: 1, sha256: SHA_A },
        { path: 'b', size: 2, sha256: SHA_A },
      ]),
      'PARSE_ERROR',
      'manifest.json: files[2].path "b" is listed twice',
    ],
    [doc('x'), 'PARSE_ERROR', 'manifest.json: files must be an array, got "x"'],
    [
      JSON.stringify({ version: 2, files: [] }),
      'PARSE_ERROR',
      'manifest.json: version must be 1, got 2',
    ],
    [JSON.stringify({ files: [] }), 'PARSE_ERROR', 'manifest.json: version is missing'],
    [JSON.stringify({ version: 1 }), 'PARSE_ERROR', 'manifest.json: files is missing'],
    ['[]', 'PARSE_ERROR', 'manifest.json: the document must be an object, got an array'],
  ])('rejects %s', (text, code, message) => {
    const error = manifestError(text);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('reports a JSON syntax error as a ParseError with line and column', () => {
    const error = manifestError('{"version": 1,\n "files": [,]}');
    expect(error).toBeInstanceOf(ParseError);
    expect(error.message).toBe(
      'manifest.json: invalid JSON at line 2 column 12: unexpected "," (at 26)',
    );
  });
});

describe('buildManifest() and serializeManifest()', () => {
  it('sorts by code point (not locale, not UTF-16 units): "B" < "a" < "é" < "\\uFF5E" < "😀"', () => {
    const paths = ['😀', '\uff5e', 'é', 'a', 'B'];
    const built = buildManifest(paths.map((path) => ({ path, size: 1, sha256: SHA_A })));
    expect(built.files.map((f) => f.path)).toEqual(['B', 'a', 'é', '\uff5e', '😀']);
    expect(compareCodePoints('\uff5e', '😀')).toBeLessThan(0);
  });

  it('writes 2-space JSON with a trailing newline and only path, size, sha256', () => {
    const text = serializeManifest(buildManifest([{ path: 'u/a.sdp', size: 3, sha256: SHA_A }]));
    expect(text).toBe(
      `{\n  "version": 1,\n  "files": [\n    {\n      "path": "u/a.sdp",\n      "size": 3,\n      "sha256": "${SHA_A}"\n    }\n  ]\n}\n`,
    );
  });

  it('throws RangeError naming the entry for a bad path, size, checksum or a duplicate', () => {
    expect(() => buildManifest([{ path: '../x', size: 1, sha256: SHA_A }])).toThrow(
      'entries[0].path "../x" escapes the archive root',
    );
    expect(() => buildManifest([{ path: 'x', size: 1.5, sha256: SHA_A }])).toThrow(
      'entries[0].size must be a non-negative integer, got 1.5',
    );
    expect(() => buildManifest([{ path: 'x', size: 1, sha256: 'z' }])).toThrow(
      'entries[0].sha256 must be 64 hex digits',
    );
    expect(() =>
      buildManifest([
        { path: 'x', size: 1, sha256: SHA_A },
        { path: 'x', size: 2, sha256: SHA_A },
      ]),
    ).toThrow(RangeError);
  });

  it('property: parseManifest(serializeManifest(buildManifest(entries))) equals buildManifest(entries)', () => {
    fc.assert(
      fc.property(manifestEntries, (entries) => {
        const manifest = buildManifest(entries);
        expect(parseManifest(serializeManifest(manifest), 'm')).toEqual(manifest);
        for (let i = 1; i < manifest.files.length; i++) {
          expect(
            compareCodePoints(manifest.files[i - 1]!.path, manifest.files[i]!.path),
          ).toBeLessThan(0);
        }
      }),
      { seed: 0x3a1, numRuns: 1000 },
    );
  });

  it('property: compareCodePoints orders like the UTF-8 bytes', () => {
    const encoder = new TextEncoder();
    const bytesCompare = (a: string, b: string): number =>
      Buffer.compare(Buffer.from(encoder.encode(a)), Buffer.from(encoder.encode(b)));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(bytesCompare(a, b)));
      }),
      { seed: 0x3a2, numRuns: 3000 },
    );
  });
});
