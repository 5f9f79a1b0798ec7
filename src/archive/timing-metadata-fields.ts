/**
 * Typed reads of JSON fields with the field's path in every error:
 * `timing_metadata.json: segments.audio[0].first_rtp_unix_timestamp must be an integer, got "abc"`.
 *
 * Only own properties are read (never `constructor`, `toString`, … from a prototype). For
 * optional fields, absent and `null` (Go writes nil pointers and slices as null) both mean
 * "not given".
 */
import { TapedeckError, type ErrorCode } from '../errors.js';

export type JsonObject = { readonly [key: string]: unknown };

/** A short, one-line rendering of a value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': {
      const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return JSON.stringify(cut);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value.toString()}n`;
    case 'undefined':
      return 'nothing';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** Reads fields of one JSON document; `source` names the document in messages. */
export class FieldReader {
  readonly #source: string;
  readonly #code: ErrorCode;

  constructor(source: string, code: ErrorCode) {
    this.#source = source;
    this.#code = code;
  }

  fail(path: string, problem: string): never {
    throw new TapedeckError(
      this.#code,
      `${this.#source}: ${path === '' ? 'the document' : path} ${problem}`,
    );
  }

  /** `value` as an object (not an array, not null). */
  object(value: unknown, path: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${describeValue(value)}`);
    }
    return value as JsonObject;
  }

  /** An own property, or undefined. */
  get(object: JsonObject, key: string): unknown {
    return Object.hasOwn(object, key) ? object[key] : undefined;
  }

  string(object: JsonObject, key: string, path: string): string {
    const value = this.get(object, key);
    if (value === undefined) this.fail(join(path, key), 'is missing');
    if (typeof value !== 'string')
      this.fail(join(path, key), `must be a string, got ${describeValue(value)}`);
    return value;
  }

  optionalString(object: JsonObject, key: string, path: string): string | undefined {
    const value = this.get(object, key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string')
      this.fail(join(path, key), `must be a string, got ${describeValue(value)}`);
    return value;
  }

  /** A safe integer (int64 fields; JavaScript holds integers exactly up to 2^53). */
  integer(object: JsonObject, key: string, path: string): number {
    const value = this.optionalInteger(object, key, path);
    if (value === undefined) this.fail(join(path, key), 'is missing');
    return value;
  }

  optionalInteger(object: JsonObject, key: string, path: string): number | undefined {
    const value = this.get(object, key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(join(path, key), `must be an integer, got ${describeValue(value)}`);
    }
    if (!Number.isSafeInteger(value)) {
      this.fail(
        join(path, key),
        `must be an integer within ±(2^53 − 1), got ${describeValue(value)}`,
      );
    }
    return value === 0 ? 0 : value; // JSON "-0" reads as −0: normalise it
  }

  /** An integer in 0..2^32−1 (uint32 fields: RTP timestamps, SSRCs, dimensions). */
  uint32(object: JsonObject, key: string, path: string): number {
    const value = this.optionalUint32(object, key, path);
    if (value === undefined) this.fail(join(path, key), 'is missing');
    return value;
  }

  optionalUint32(object: JsonObject, key: string, path: string): number | undefined {
    const value = this.get(object, key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      this.fail(join(path, key), `must be an unsigned 32-bit integer, got ${describeValue(value)}`);
    }
    return value === 0 ? 0 : value; // JSON "-0" reads as −0: normalise it
  }

  /** An array; absent or null reads as empty. */
  optionalArray(object: JsonObject, key: string, path: string): readonly unknown[] {
    const value = this.get(object, key);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      this.fail(join(path, key), `must be an array, got ${describeValue(value)}`);
    return value;
  }

  /** An object; absent or null reads as undefined. */
  optionalObject(object: JsonObject, key: string, path: string): JsonObject | undefined {
    const value = this.get(object, key);
    if (value === undefined || value === null) return undefined;
    return this.object(value, join(path, key));
  }
}

/** `segments.audio[0]` + `codec` → `segments.audio[0].codec`; the root path is ''. */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
