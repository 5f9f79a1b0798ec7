import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import {
  lineAndColumn,
  locateJsonSyntaxError,
  parseJsonDocument,
} from '../../src/archive/timing-metadata-json.js';
import { parseRfc3339Ms } from '../../src/archive/timing-metadata-rfc3339.js';
import { rfc3339Ms } from './metadata-arbitraries.js';

function jsonParses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('locateJsonSyntaxError()', () => {
  it.each([
    ['{"a":}', 5, 'unexpected "}"'],
    ['{"a":1', 6, "expected ',' or '}', unexpected end of input"],
    ['', 0, 'unexpected end of input'],
    ['{"a":1}x', 7, 'unexpected "x" after the document'],
    ['{a:1}', 1, 'expected a property name in double quotes, unexpected "a"'],
    ['[1,2,]', 5, 'unexpected "]"'],
    ['"abc', 4, 'unterminated string'],
    ['{"a":"x\ny"}', 7, 'control character in string'],
    ['"\\x"', 1, 'bad escape "\\\\x" in string'],
    ['"\\u12G4"', 1, 'bad \\u escape in string'],
    ['{"a" 1}', 5, 'expected \':\', unexpected "1"'],
    ['01', 1, 'unexpected "1"'],
    ['-', 0, 'unexpected "-"'],
    ['1.', 1, 'unexpected "."'],
    ['tru', 0, 'unexpected "t"'],
    ['[[[[', 4, 'unexpected end of input'],
  ])('finds the error in %j at offset %i', (text, offset, reason) => {
    expect(locateJsonSyntaxError(text)).toEqual({ offset, reason });
  });

  it('handles nesting 100 000 deep without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(99_999)}`;
    expect(locateJsonSyntaxError(deep)).toEqual({
      offset: deep.length,
      reason: "expected ',' or ']', unexpected end of input",
    });
    expect(locateJsonSyntaxError(`${deep}]`)).toBeUndefined();
  });

  it('property: it finds an error exactly when JSON.parse fails (arbitrary strings)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'{}[]",:\\ \n01-.eEtrufalsn9xu') }),
        (text) => {
          expect(locateJsonSyntaxError(text) === undefined).toBe(jsonParses(text));
        },
      ),
      { seed: 0x15, numRuns: 20_000 },
    );
  });

  it('property: it finds an error exactly when JSON.parse fails (valid JSON with one character inserted or removed)', () => {
    const edited = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ...'{}[]",:\\ 0-.e'))
      .map(([text, at, insert]) => {
        const i = at % (text.length + 1);
        return insert === ''
          ? text.slice(0, i) + text.slice(i + 1)
          : text.slice(0, i) + insert + text.slice(i);
      });
    fc.assert(
      fc.property(edited, (text) => {
        expect(locateJsonSyntaxError(text) === undefined).toBe(jsonParses(text));
      }),
      { seed: 0x16, numRuns: 20_000 },
    );
  });
});

describe('parseJsonDocument()', () => {
  it('reports line and column, counting from 1, and keeps the offset in the whole text (after a BOM)', () => {
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    try {
      parseJsonDocument('\ufeff{\n"a": tru\n}', 'doc.json', 'PARSE_ERROR');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).code).toBe('PARSE_ERROR');
      expect((error as ParseError).offset).toBe(8);
      expect((error as ParseError).message).toBe(
        'doc.json: invalid JSON at line 2 column 6: unexpected "t" (at 8)',
      );
    }
  });
});

describe('parseRfc3339Ms()', () => {
  it.each([
    ['2024-05-01T10:00:00Z', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01t10:00:00.5z', Date.UTC(2024, 4, 1, 10, 0, 0, 500)],
    ['2024-05-01 10:00:00.123456789+02:00', Date.UTC(2024, 4, 1, 8, 0, 0, 123)],
    ['2024-05-01T10:00:00-05:30', Date.UTC(2024, 4, 1, 15, 30)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['1998-12-31T23:59:60Z', Date.UTC(1999, 0, 1)],
  ])('reads %s', (text, ms) => {
    expect(parseRfc3339Ms(text)).toBe(ms);
  });

  it.each([
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T10:00:00',
    '2024-05-01',
    '2024-05-01T10:00:00+2:00',
    '2024-05-01T10:00:00+24:00',
    ' 2024-05-01T10:00:00Z',
  ])('refuses %s', (text) => {
    expect(parseRfc3339Ms(text)).toBeUndefined();
  });

  it('property: reads back every Date.toISOString() of years 0000..9999 exactly', () => {
    fc.assert(
      fc.property(rfc3339Ms, (ms) => {
        expect(parseRfc3339Ms(new Date(ms).toISOString())).toBe(ms);
      }),
      { seed: 0x3339, numRuns: 5000 },
    );
  });
});
