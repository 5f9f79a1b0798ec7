import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import {
  checkKeyTemplate,
  encodeKeyValue,
  EPOCH_ONLY_WARNING,
  isSafeObjectKey,
  KEY_TEMPLATE_TOKENS,
  parseKeyTemplate,
  validateKeyTemplate,
} from '../../src/storage/key-template.js';

const SEED = 0x7a9e_dec;

/** Arbitrary unicode: whole code points, and lone UTF-16 units (ids are JS strings). */
const anyText = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
      maxLength,
    }),
    fc.string({ unit: fc.constantFrom('a', '-', '_', '.', '0', 'f', ':', '/', ' '), maxLength }),
  );

/** Inverse of encodeKeyValue, written from its doc comment: proves it is injective. */
function decodeKeyValue(encoded: string): string {
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] !== '_') continue;
    const text = encoded.slice(0, i);
    const tail = encoded.slice(i + 1);
    const dashes = text.split('-').length - 1;
    if (!/^[0-9a-f]*$/.test(tail) || tail.length !== 6 * dashes) continue;
    let out = '';
    let k = 0;
    for (const ch of text) {
      if (ch !== '-') out += ch;
      else {
        out += String.fromCodePoint(parseInt(tail.slice(6 * k, 6 * k + 6), 16));
        k++;
      }
    }
    return out;
  }
  return encoded;
}

function reasonOf(template: string): string {
  try {
    validateKeyTemplate(template);
  } catch (error) {
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('STORAGE_CONFIG_INVALID');
    return (error as TapedeckError).message;
  }
  return 'accepted';
}

describe('validateKeyTemplate()', () => {
  it('KEY_TEMPLATE_TOKENS lists the ten tokens with their braces', () => {
    expect(KEY_TEMPLATE_TOKENS).toEqual([
      '{call_type}',
      '{call_id}',
      '{recording_id}',
      '{recording_type}',
      '{part}',
      '{epoch_ms}',
      '{category}',
      '{file}',
      '{prefix}',
      '{date}',
    ]);
  });

  it.each([
    ['{recording_id}/{file}'],
    ['{prefix}/{recording_id}_{file}'],
    [
      'recordings/{call_type}/{call_id}/{date}/{recording_id}-{recording_type}-{part}/{category}/{file}',
    ],
    ['a.b/x_{epoch_ms}.{recording_id}/{file}'],
    ['{file}{recording_id}'],
    ['...{recording_id}/{file}'],
    ['{prefix}/{prefix}/{recording_id}/{file}'],
    ['x/' + 'a'.repeat(512 - 2 - '{recording_id}{file}'.length) + '{recording_id}{file}'],
  ])('accepts %s without warnings', (template) => {
    expect(validateKeyTemplate(template)).toEqual({ warnings: [] });
  });

  it('accepts {epoch_ms} without {recording_id}, warning that keys are unique only per millisecond', () => {
    expect(validateKeyTemplate('{call_id}/{epoch_ms}/{file}')).toEqual({
      warnings: [EPOCH_ONLY_WARNING],
    });
    expect(EPOCH_ONLY_WARNING).toContain('unique only per millisecond');
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(513), 'must be at most 512 characters'],
    ['x/' + 'a'.repeat(511), 'must be at most 512 characters'],
    [
      '{recording_id} {file}',
      'character " " at index 14 is not allowed (allowed: 0-9 A-Z a-z . / _ - and {token})',
    ],
    [
      '{recording_id}/ü/{file}',
      'character "ü" at index 15 is not allowed (allowed: 0-9 A-Z a-z . / _ - and {token})',
    ],
    [
      '{recording_id}%{file}',
      'character "%" at index 14 is not allowed (allowed: 0-9 A-Z a-z . / _ - and {token})',
    ],
    [
      '{recording_id}\\{file}',
      'character "\\\\" at index 14 is not allowed (allowed: 0-9 A-Z a-z . / _ - and {token})',
    ],
    ['/{recording_id}/{file}', 'must not start with "/"'],
    ['{recording_id}/{file}/', 'must not end with "/"'],
    ['{recording_id}//{file}', 'must not contain "//"'],
    ['a/../{recording_id}/{file}', 'must not contain a "." or ".." segment'],
    ['../{recording_id}/{file}', 'must not contain a "." or ".." segment'],
    ['./{recording_id}/{file}', 'must not contain a "." or ".." segment'],
    ['{recording_id}/{file}/..', 'must not contain a "." or ".." segment'],
    ['{recording_id/{file}', 'unbalanced "{" at index 0'],
    ['{recording_id}/{file', 'unbalanced "{" at index 15'],
    ['{recording_id}}/{file}', 'unbalanced "}" at index 14'],
    ['recording_id}/{file}', 'unbalanced "}" at index 12'],
    ['{{recording_id}}/{file}', 'unbalanced "{" at index 0'],
    ['{recording_id}/{files}', `unknown token {files} (known: ${KEY_TEMPLATE_TOKENS.join(' ')})`],
    ['{recording_id}/{}{file}', `unknown token {} (known: ${KEY_TEMPLATE_TOKENS.join(' ')})`],
    [
      '{Recording_Id}/{file}',
      `unknown token {Recording_Id} (known: ${KEY_TEMPLATE_TOKENS.join(' ')})`,
    ],
    [
      '{prefix}-x/{recording_id}/{file}',
      '{prefix} must stand alone between slashes (like {prefix}/{file})',
    ],
    [
      'a{prefix}/{recording_id}/{file}',
      '{prefix} must stand alone between slashes (like {prefix}/{file})',
    ],
    [
      '{recording_id}/{part}',
      'must contain {file} (without it the files of a recording overwrite each other)',
    ],
    [
      '{call_id}/{file}',
      'must contain {recording_id} (without it two recordings of a call collide)',
    ],
    [
      '{call_id}/{date}/{file}',
      'must contain {recording_id} (without it two recordings of a call collide)',
    ],
  ])('refuses %j: key_template: %s', (template, reason) => {
    expect(reasonOf(template)).toBe(`key_template: ${reason}`);
  });

  it('checkKeyTemplate() reports a non-string without throwing', () => {
    expect(checkKeyTemplate(42)).toEqual({ ok: false, reason: 'must be a string' });
  });

  it('parseKeyTemplate() splits literals and tokens in order', () => {
    expect(parseKeyTemplate('r/{call_id}-x/{recording_id}{file}')).toEqual([
      { kind: 'literal', text: 'r/' },
      { kind: 'token', name: 'call_id' },
      { kind: 'literal', text: '-x/' },
      { kind: 'token', name: 'recording_id' },
      { kind: 'token', name: 'file' },
    ]);
  });

  it('never throws anything but STORAGE_CONFIG_INVALID on arbitrary text (20,000 runs)', () => {
    const alphabet = fc.constantFrom(
      '{',
      '}',
      '/',
      '.',
      'a',
      '_',
      '-',
      '{file}',
      '{recording_id}',
      '{prefix}',
      '{x}',
      ' ',
    );
    fc.assert(
      fc.property(
        fc.oneof(anyText(40), fc.string({ unit: alphabet, maxLength: 12 })),
        (template) => {
          const check = checkKeyTemplate(template);
          let thrown: unknown;
          let warnings: string[] | undefined;
          try {
            warnings = validateKeyTemplate(template).warnings;
          } catch (error) {
            thrown = error;
          }
          if (!check.ok)
            return (
              thrown instanceof TapedeckError &&
              thrown.code === 'STORAGE_CONFIG_INVALID' &&
              thrown.message === `key_template: ${check.reason}`
            );
          // Literals and tokens reassemble to the template.
          const joined = check.parts
            .map((p) => (p.kind === 'literal' ? p.text : `{${p.name}}`))
            .join('');
          return (
            thrown === undefined &&
            joined === template &&
            warnings?.length === check.warnings.length
          );
        },
      ),
      { seed: SEED, numRuns: 20_000 },
    );
  });
});

describe('encodeKeyValue()', () => {
  it.each([
    ['raw_default_abc_part1.zip', 'raw_default_abc_part1.zip'],
    ['rec-01HZX', 'rec-01HZX'],
    ['default:abc', 'default-abc_00003a'],
    ['a-b c', 'a-b-c_00002d000020'],
    ['a/b', 'a-b_00002f'],
    ['..', '-._00002e'],
    ['.hidden', '-hidden_00002e'],
    ['', '_'],
    ['ü', '-_0000fc'],
    ['😀', '-_01f600'],
    ['abc_', 'abc__'],
    ['a-b_00002d', 'a-b_00002d_00002d'],
  ])('encodes %j as %j', (value, encoded) => {
    expect(encodeKeyValue(value)).toBe(encoded);
    expect(decodeKeyValue(encoded)).toBe(value);
  });

  it('gives one key segment, never empty, never starting with ".", and decodes back to the value', () => {
    fc.assert(
      fc.property(anyText(32), (value) => {
        const encoded = encodeKeyValue(value);
        expect(encoded).toMatch(/^[0-9A-Za-z_-][0-9A-Za-z._-]*$/);
        expect(decodeKeyValue(encoded)).toBe(value);
      }),
      { seed: SEED, numRuns: 20_000 },
    );
  });

  it('never gives two different values the same encoding', () => {
    fc.assert(
      fc.property(anyText(12), anyText(12), (a, b) => {
        fc.pre(a !== b);
        expect(encodeKeyValue(a)).not.toBe(encodeKeyValue(b));
      }),
      { seed: SEED, numRuns: 20_000 },
    );
  });
});

describe('isSafeObjectKey()', () => {
  it.each([
    ['a', true],
    ['a/b.c/d_e-f', true],
    ['...', true],
    ['', false],
    ['/a', false],
    ['a/', false],
    ['a//b', false],
    ['a/./b', false],
    ['a/../b', false],
    ['..', false],
    ['a b', false],
    ['a\\b', false],
    ['x'.repeat(1024), true],
    ['x'.repeat(1025), false],
  ])('%j → %s', (key, safe) => {
    expect(isSafeObjectKey(key)).toBe(safe);
  });
});
