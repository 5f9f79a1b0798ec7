import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import { distinctPrefixes, objectKey } from '../../src/storage/key-layout.js';
import type { KeyContext, KeyLayoutConfig } from '../../src/storage/key-layout.js';
import { checkKeyTemplate } from '../../src/storage/key-template.js';
import { FILE_CATEGORIES } from '../../src/storage/types.js';

const SEED = 0x5eed_4e7;
const SAFE_KEY = /^[0-9A-Za-z._-]+(\/[0-9A-Za-z._-]+)*$/;

const ctx: KeyContext = {
  callType: 'default',
  callId: 'abc',
  recordingId: 'rec1',
  recordingType: 'raw',
  part: 1,
  epochMs: Date.UTC(2026, 10, 21, 23, 59, 59, 999),
  category: 'audio',
  file: 'raw_default_abc_part1.zip',
};

const layout = (over: Partial<KeyLayoutConfig> = {}): KeyLayoutConfig => ({
  path: '',
  prefixes: {},
  ...over,
});

describe('objectKey() default layout', () => {
  it.each<[string, KeyLayoutConfig, Partial<KeyContext>, string]>([
    ['no prefix', layout(), {}, 'rec1_raw_default_abc_part1.zip'],
    ['base path', layout({ path: 'calls/raw' }), {}, 'calls/raw/rec1_raw_default_abc_part1.zip'],
    [
      'category prefix replaces path',
      layout({ path: 'p', prefixes: { audio: 'aud' } }),
      {},
      'aud/rec1_raw_default_abc_part1.zip',
    ],
    [
      'another category keeps path',
      layout({ path: 'p', prefixes: { audio: 'aud' } }),
      { category: 'video', file: 'v.mp4' },
      'p/rec1_v.mp4',
    ],
    [
      'multi-file collection',
      layout({ path: 'p' }),
      { collection: 'hls', file: 'seg0.ts' },
      'p/rec1_hls/seg0.ts',
    ],
    ['collection, no prefix', layout(), { collection: 'hls', file: 'seg0.ts' }, 'rec1_hls/seg0.ts'],
    [
      'ids outside the alphabet are encoded',
      layout(),
      { recordingId: 'r 1', file: 'a/b' },
      'r-1_000020_a-b_00002f',
    ],
  ])('%s', (_name, config, over, key) => {
    expect(objectKey(config, { ...ctx, ...over })).toBe(key);
  });
});

describe('objectKey() with a key template', () => {
  it.each<[string, string, KeyLayoutConfig, Partial<KeyContext>, string]>([
    [
      'every token',
      '{call_type}/{call_id}/{recording_id}/{recording_type}/{part}/{epoch_ms}/{category}/{date}/{prefix}/{file}',
      layout({ path: 'base' }),
      {},
      `default/abc/rec1/raw/1/${ctx.epochMs}/audio/2026-11-21/base/raw_default_abc_part1.zip`,
    ],
    [
      '{date} is the UTC day of epoch_ms',
      '{date}/{recording_id}/{file}',
      layout(),
      { epochMs: 0 },
      '1970-01-01/rec1/raw_default_abc_part1.zip',
    ],
    [
      'empty {prefix} at the start disappears',
      '{prefix}/{recording_id}/{file}',
      layout(),
      {},
      'rec1/raw_default_abc_part1.zip',
    ],
    [
      'empty {prefix} in the middle disappears',
      'x/{prefix}/{recording_id}/{file}',
      layout(),
      {},
      'x/rec1/raw_default_abc_part1.zip',
    ],
    [
      'empty {prefix} at the end disappears',
      '{recording_id}{file}/{prefix}',
      layout(),
      {},
      'rec1raw_default_abc_part1.zip',
    ],
    [
      '{prefix} resolves per category',
      '{prefix}/{recording_id}/{file}',
      layout({ path: 'p', prefixes: { transcript: 't/x' } }),
      { category: 'transcript', file: 'a.vtt' },
      't/x/rec1/a.vtt',
    ],
    [
      '{file} of a collection is collection/file',
      '{recording_id}/{file}',
      layout(),
      { collection: 'hls', file: 'seg0.ts' },
      'rec1/hls/seg0.ts',
    ],
    [
      'call ids are encoded into the alphabet',
      '{call_id}/{recording_id}/{file}',
      layout(),
      { callId: 'room:42' },
      'room-42_00003a/rec1/raw_default_abc_part1.zip',
    ],
    [
      'a ".." call id cannot climb',
      '{call_id}/{recording_id}/{file}',
      layout(),
      { callId: '..' },
      '-._00002e/rec1/raw_default_abc_part1.zip',
    ],
    [
      'an empty id still fills its segment',
      '{call_type}/{recording_id}/{file}',
      layout(),
      { callType: '' },
      '_/rec1/raw_default_abc_part1.zip',
    ],
  ])('%s', (_name, keyTemplate, config, over, key) => {
    expect(objectKey({ ...config, keyTemplate }, { ...ctx, ...over })).toBe(key);
  });

  it('refuses an invalid template with STORAGE_CONFIG_INVALID', () => {
    expect(() => objectKey(layout({ keyTemplate: '{call_id}/{file}' }), ctx)).toThrow(
      'key_template: must contain {recording_id}',
    );
  });
});

describe('objectKey() guards', () => {
  it.each<[Partial<KeyContext>, string, typeof TypeError]>([
    [{ part: -1 }, 'ctx.part must be a non-negative integer', RangeError],
    [{ part: 1.5 }, 'ctx.part must be a non-negative integer', RangeError],
    [
      { epochMs: -1 },
      'ctx.epochMs must be an integer from 0 to 253402300799999 (year 9999)',
      RangeError,
    ],
    [
      { epochMs: 253_402_300_800_000 },
      'ctx.epochMs must be an integer from 0 to 253402300799999 (year 9999)',
      RangeError,
    ],
    [
      { epochMs: Number.NaN },
      'ctx.epochMs must be an integer from 0 to 253402300799999 (year 9999)',
      RangeError,
    ],
    [
      { category: 'images' as never },
      'ctx.category must be one of audio, video, transcript, metadata',
      TypeError,
    ],
    [{ callId: 42 as never }, 'ctx.callId must be a string', TypeError],
    [{ collection: 1 as never }, 'ctx.collection must be a string when set', TypeError],
  ])('%j throws %s', (over, message, type) => {
    expect(() => objectKey(layout(), { ...ctx, ...over })).toThrow(type);
    expect(() => objectKey(layout(), { ...ctx, ...over })).toThrow(message);
  });

  it.each([
    ['a path with a ".." segment', layout({ path: 'a/../b' })],
    ['a prefix with a leading slash', layout({ prefixes: { audio: '/abs' } })],
    ['a path with a space', layout({ path: 'a b' })],
  ])(
    'a stored configuration with %s throws STORAGE_CONFIG_INVALID instead of giving the key',
    (_n, config) => {
      let error: unknown;
      try {
        objectKey(config, ctx);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TapedeckError);
      expect((error as TapedeckError).code).toBe('STORAGE_CONFIG_INVALID');
      expect((error as TapedeckError).message).toBe(
        'object key for recording rec1 file raw_default_abc_part1.zip is not a safe key (check path, prefixes and key_template)',
      );
    },
  );

  it('a key longer than 1024 characters throws STORAGE_CONFIG_INVALID', () => {
    expect(() =>
      objectKey(layout({ path: 'p'.repeat(512) }), { ...ctx, file: 'f'.repeat(600) }),
    ).toThrow(/is 1118 characters, more than the 1024 providers accept$/);
  });
});

describe('distinctPrefixes()', () => {
  it.each<[string, KeyLayoutConfig, string[]]>([
    ['bucket root', layout(), ['']],
    ['base path only', layout({ path: 'p' }), ['p']],
    [
      'base path and category prefixes, distinct, in category order',
      layout({ path: 'p', prefixes: { video: 'v', transcript: 'v', metadata: 'm/x' } }),
      ['p', 'v', 'm/x'],
    ],
    [
      'no base path when every category has its own prefix',
      layout({ path: 'p', prefixes: { audio: 'a', video: 'a', transcript: 't', metadata: 'm' } }),
      ['a', 't', 'm'],
    ],
    [
      'template: the literal part before the first token, cut to its last "/"',
      layout({ path: 'p', keyTemplate: 'rec/raw/x{call_id}/{recording_id}/{file}' }),
      ['rec/raw'],
    ],
    [
      'template starting with a token: bucket root',
      layout({ path: 'p', keyTemplate: '{call_id}/{recording_id}/{file}' }),
      [''],
    ],
    [
      'template: {prefix} resolved per category',
      layout({
        path: 'p',
        prefixes: { audio: 'a/b' },
        keyTemplate: 'rec/{prefix}/{date}/{recording_id}/{file}',
      }),
      ['rec/a/b', 'rec/p'],
    ],
    [
      'template: an empty {prefix} collapses',
      layout({ keyTemplate: 'rec/{prefix}/{recording_id}/{file}' }),
      ['rec'],
    ],
    [
      'template: {prefix} then a literal file part',
      layout({ path: 'p', keyTemplate: '{prefix}/x_{recording_id}/{file}' }),
      ['p'],
    ],
  ])('%s', (_name, config, prefixes) => {
    expect(distinctPrefixes(config)).toEqual(prefixes);
  });
});

// ── properties ───────────────────────────────────────────────────────────────────────────

const anyText = (maxLength = 12): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
      maxLength,
    }),
    fc.string({ unit: fc.constantFrom('a', '-', '_', '.', '/', ':', '0'), maxLength }),
  );

const segment = fc
  .string({ unit: fc.constantFrom('a', 'Z', '0', '.', '_', '-'), minLength: 1, maxLength: 6 })
  .filter((s) => s !== '.' && s !== '..');
const keyPath = fc.array(segment, { maxLength: 3 }).map((s) => s.join('/'));
const prefixes = fc
  .record(
    { audio: keyPath, video: keyPath, transcript: keyPath, metadata: keyPath },
    { requiredKeys: [] },
  )
  .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== '')));

const tokenPiece = fc.constantFrom(
  '{call_type}',
  '{call_id}',
  '{recording_id}',
  '{recording_type}',
  '{part}',
  '{epoch_ms}',
  '{category}',
  '{file}',
  '{date}',
);
const literalPiece = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', '.', '_', '-'),
  minLength: 1,
  maxLength: 4,
});
const templateSegment = fc.oneof(
  {
    arbitrary: fc
      .array(fc.oneof(tokenPiece, literalPiece), { minLength: 1, maxLength: 2 })
      .map((p) => p.join('')),
    weight: 4,
  },
  { arbitrary: fc.constant('{prefix}'), weight: 1 },
);
/** Valid templates holding {recording_id} and {file}, anywhere. */
const template = fc
  .tuple(
    fc.array(templateSegment, { maxLength: 4 }),
    fc.nat(4),
    fc.constantFrom('{recording_id}/{file}', '{recording_id}_{file}', '{file}.{recording_id}'),
  )
  .map(([segs, at, must]) => {
    const all = [...segs];
    all.splice(Math.min(at, all.length), 0, must);
    return all.join('/');
  })
  .filter((t) => {
    const check = checkKeyTemplate(t);
    return check.ok && check.warnings.length === 0;
  });

const context = fc
  .record({
    callType: anyText(),
    callId: anyText(),
    recordingId: anyText(),
    recordingType: anyText(),
    part: fc.nat(10_000),
    epochMs: fc.integer({ min: 0, max: 253_402_300_799_999 }),
    category: fc.constantFrom(...FILE_CATEGORIES),
    file: anyText(),
    collection: fc.option(anyText(), { nil: undefined }),
  })
  .map((c): KeyContext => {
    const { collection, ...rest } = c;
    return collection === undefined ? rest : { ...rest, collection };
  });

const config = fc
  .record({
    path: keyPath,
    prefixes,
    keyTemplate: fc.option(template, { nil: undefined }),
  })
  .map((c): KeyLayoutConfig => {
    const { keyTemplate, ...rest } = c;
    return keyTemplate === undefined ? rest : { ...rest, keyTemplate };
  });

function noDotSegments(key: string): boolean {
  return key.split('/').every((s) => s !== '..' && s !== '.');
}

describe('objectKey() properties (arbitrary unicode ids, default layout and valid templates)', () => {
  it('every key matches ^[0-9A-Za-z._-]+(/[0-9A-Za-z._-]+)*$ and has no ".." segment', () => {
    fc.assert(
      fc.property(config, context, (cfg, c) => {
        const key = objectKey(cfg, c);
        return SAFE_KEY.test(key) && noDotSegments(key);
      }),
      { seed: SEED, numRuns: 20_000 },
    );
  });

  it('two different recording ids give different keys', () => {
    fc.assert(
      fc.property(config, context, anyText(), (cfg, c, other) => {
        fc.pre(other !== c.recordingId);
        return objectKey(cfg, c) !== objectKey(cfg, { ...c, recordingId: other });
      }),
      { seed: SEED, numRuns: 10_000 },
    );
  });

  it('two different files give different keys', () => {
    fc.assert(
      fc.property(config, context, anyText(), (cfg, c, other) => {
        fc.pre(other !== c.file);
        return objectKey(cfg, c) !== objectKey(cfg, { ...c, file: other });
      }),
      { seed: SEED, numRuns: 10_000 },
    );
  });

  it('two different collections give different keys, and a collection never meets a single file', () => {
    fc.assert(
      fc.property(config, context, anyText(), anyText(), (cfg, c, a, b) => {
        fc.pre(a !== b);
        const inA = objectKey(cfg, { ...c, collection: a });
        const inB = objectKey(cfg, { ...c, collection: b });
        const { collection: _drop, ...single } = c;
        return inA !== inB && inA !== objectKey(cfg, single);
      }),
      { seed: SEED, numRuns: 10_000 },
    );
  });

  it('every key starts with one of distinctPrefixes() (what write_only validation probes)', () => {
    fc.assert(
      fc.property(config, context, (cfg, c) => {
        const key = objectKey(cfg, c);
        return distinctPrefixes(cfg).some((p) => p === '' || key.startsWith(`${p}/`));
      }),
      { seed: SEED, numRuns: 10_000 },
    );
  });
});
