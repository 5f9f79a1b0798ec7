/**
 * JSON text → value for the archive's JSON documents (timing metadata, manifest), with
 * syntax errors reported at a line, a column and a character offset.
 *
 * `JSON.parse` does the parsing. Only when it fails does a small RFC 8259 scanner (an
 * explicit stack, so any nesting depth is fine) find where: V8's own messages sometimes
 * omit the position and sometimes quote the whole input, newlines included.
 *
 * @see RFC 8259 (JSON)
 */
import { ParseError, type ErrorCode } from '../errors.js';

export type JsonSyntaxError = { readonly offset: number; readonly reason: string };

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'unexpected end of input';
  return `unexpected ${JSON.stringify(text[i])}`;
}

function skipWhitespace(text: string, i: number): number {
  let j = i;
  while (j < text.length && WHITESPACE.has(text[j] ?? '')) j++;
  return j;
}

/** Scans a string starting at the opening quote; returns the index after the closing quote, or an error. */
function scanString(text: string, start: number): number | JsonSyntaxError {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return { offset: i, reason: 'control character in string' };
    if (c === 0x5c) {
      const e = text[i + 1];
      if (e === undefined) break;
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
          return { offset: i, reason: 'bad \\u escape in string' };
        i += 6;
        continue;
      }
      if (!ESCAPES.has(e))
        return { offset: i, reason: `bad escape ${JSON.stringify(`\\${e}`)} in string` };
      i += 2;
      continue;
    }
    i++;
  }
  return { offset: text.length, reason: 'unterminated string' };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Scans a number or literal at i; returns the index after it, or an error. */
function scanScalar(text: string, i: number): number | JsonSyntaxError {
  for (const literal of ['true', 'false', 'null']) {
    if (text.startsWith(literal, i)) return i + literal.length;
  }
  NUMBER.lastIndex = i;
  const match = NUMBER.exec(text);
  if (match && match[0] !== '-') {
    const end = i + match[0].length;
    // A number must not run into more number characters (`01`, `1.`, `1e`).
    if (end < text.length && /[0-9.eE+-]/.test(text[end] ?? ''))
      return { offset: end, reason: describeAt(text, end) };
    return end;
  }
  return { offset: i, reason: describeAt(text, i) };
}

type State = 'value' | 'value-or-close' | 'after-value' | 'key' | 'key-or-close';

/**
 * The offset and reason of the first JSON syntax error in `text`, or undefined when it is
 * valid JSON. Iterative: deep nesting cannot overflow the stack.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const stack: ('[' | '{')[] = [];
  let state: State = 'value';
  let i = 0;
  for (;;) {
    i = skipWhitespace(text, i);
    const c = text[i];
    if (state === 'after-value') {
      const top = stack.at(-1);
      if (top === undefined)
        return c === undefined
          ? undefined
          : { offset: i, reason: `${describeAt(text, i)} after the document` };
      if (c === ',') {
        state = top === '[' ? 'value' : 'key';
        i++;
      } else if ((top === '[' && c === ']') || (top === '{' && c === '}')) {
        stack.pop();
        i++;
      } else {
        return {
          offset: i,
          reason: `expected ',' or '${top === '[' ? ']' : '}'}', ${describeAt(text, i)}`,
        };
      }
      continue;
    }
    if (state === 'key' || state === 'key-or-close') {
      if (state === 'key-or-close' && c === '}') {
        stack.pop();
        state = 'after-value';
        i++;
        continue;
      }
      if (c !== '"')
        return {
          offset: i,
          reason: `expected a property name in double quotes, ${describeAt(text, i)}`,
        };
      const end = scanString(text, i);
      if (typeof end !== 'number') return end;
      i = skipWhitespace(text, end);
      if (text[i] !== ':') return { offset: i, reason: `expected ':', ${describeAt(text, i)}` };
      i++;
      state = 'value';
      continue;
    }
    // state is 'value' or 'value-or-close'
    if (state === 'value-or-close' && c === ']') {
      stack.pop();
      state = 'after-value';
      i++;
    } else if (c === '{' || c === '[') {
      stack.push(c);
      state = c === '{' ? 'key-or-close' : 'value-or-close';
      i++;
    } else if (c === '"') {
      const end = scanString(text, i);
      if (typeof end !== 'number') return end;
      i = end;
      state = 'after-value';
    } else {
      const end = scanScalar(text, i);
      if (typeof end !== 'number') return end;
      i = end;
      state = 'after-value';
    }
  }
}

/** 1-based line and column (in UTF-16 code units) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Parses a JSON document (one leading byte-order mark tolerated). A syntax error throws
 * `ParseError(source, offset, 'invalid JSON at line L column C: <reason>', code)`, whose
 * message reads `<source>: invalid JSON at line 3 column 5: expected ',' or '}', … (at 42)`.
 */
export function parseJsonDocument(text: string, source: string, code: ErrorCode): unknown {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const shift = text.length - body.length;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const found = locateJsonSyntaxError(body) ?? { offset: 0, reason: 'not valid JSON' };
    const { line, column } = lineAndColumn(body, found.offset);
    const message = `invalid JSON at line ${line} column ${column}: ${found.reason}`;
    const parseError = new ParseError(source, found.offset + shift, message, code);
    parseError.cause = error;
    throw parseError;
  }
}
