import { describe, expect, it } from 'vitest';
import { checkEntryPath, namesArchiveRoot } from '../../src/archive/reader/entry-path.js';
import { TapedeckError } from '../../src/errors.js';

function refusal(name: string): string {
  try {
    checkEntryPath(name);
  } catch (error) {
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('UNSAFE_ARCHIVE');
    return (error as TapedeckError).message;
  }
  throw new Error(`checkEntryPath(${JSON.stringify(name)}) did not throw`);
}

describe('checkEntryPath()', () => {
  it('returns ordinary archive paths unchanged', () => {
    expect(checkEntryPath('user-1/session-1/audio_1.rtpdump')).toBe('user-1/session-1/audio_1.rtpdump');
    expect(checkEntryPath('timing_metadata.json')).toBe('timing_metadata.json');
    expect(checkEntryPath('ünïcødé/名前.sdp')).toBe('ünïcødé/名前.sdp');
  });

  it('drops "." and empty segments and a trailing slash', () => {
    expect(checkEntryPath('./a//b/./c/')).toBe('a/b/c');
    expect(checkEntryPath('dir/')).toBe('dir');
  });

  it('refuses ".." segments anywhere with "escapes the archive root"', () => {
    expect(refusal('../../etc/x')).toBe('entry "../../etc/x" escapes the archive root');
    expect(refusal('a/../../b')).toBe('entry "a/../../b" escapes the archive root');
    expect(refusal('a/..')).toBe('entry "a/.." escapes the archive root');
  });

  it('refuses absolute paths, UNC paths and drive letters', () => {
    expect(refusal('/etc/passwd')).toBe('entry "/etc/passwd" escapes the archive root');
    expect(refusal('//server/share/x')).toBe('entry "//server/share/x" escapes the archive root');
    expect(refusal('C:/Windows/x')).toBe('entry "C:/Windows/x" escapes the archive root');
    expect(refusal('c:x')).toBe('entry "c:x" escapes the archive root');
  });

  it('refuses any backslash (a separator on Windows)', () => {
    expect(refusal('..\\..\\x')).toBe('entry "..\\\\..\\\\x" contains a backslash');
    expect(refusal('a\\b')).toBe('entry "a\\\\b" contains a backslash');
  });

  it('refuses NUL and control characters, quoting them escaped on one line', () => {
    expect(refusal('a\0b')).toBe('entry "a\\u0000b" contains a NUL byte');
    expect(refusal('a\nb')).toBe('entry "a\\nb" contains a control character');
  });

  it('refuses segments of only dots and spaces (Windows trims them to ".." or nothing)', () => {
    expect(refusal('a/.../b')).toBe('entry "a/.../b" has a segment made only of dots and spaces');
    expect(refusal('.. /x')).toBe('entry ".. /x" has a segment made only of dots and spaces');
  });

  it('refuses empty names and names of the root itself', () => {
    expect(refusal('')).toBe('entry "" has an empty name');
    expect(refusal('./')).toBe('entry "./" names the archive root itself');
  });

  it('refuses a segment over 255 bytes and a path over 1024 bytes', () => {
    expect(checkEntryPath('a'.repeat(255))).toBe('a'.repeat(255));
    expect(refusal('é'.repeat(128))).toMatch(/has a segment longer than 255 bytes$/);
    expect(refusal(`${'a/'.repeat(600)}b`)).toMatch(/is longer than 1024 bytes$/);
  });

  it('cuts very long names in messages at 200 characters', () => {
    const message = refusal(`${'../'.repeat(300)}x`);
    expect(message.length).toBeLessThan(260);
  });

  it('rejects a non-string with a TypeError naming the argument', () => {
    expect(() => checkEntryPath(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('namesArchiveRoot()', () => {
  it('is true for ".", "./" and "././" and false otherwise', () => {
    expect(['.', './', '././', './/'].map(namesArchiveRoot)).toEqual([true, true, true, true]);
    expect(['a/', '../', './a', '..'].map(namesArchiveRoot)).toEqual([false, false, false, false]);
  });
});
