/**
 * JSON columns. SQLite stores them as TEXT; the schema types them as a branded string
 * that remembers the value type, so a repository can only write what it reads back.
 * Repositories convert at the boundary: nothing outside `src/db` sees JSON text.
 */

import { TapedeckError } from '../errors.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue =
  JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

declare const jsonBrand: unique symbol;

/** The TEXT of a JSON column whose decoded value is `T`. */
export type JsonText<T> = string & { readonly [jsonBrand]: T };

/** Serializes a value for a JSON column. */
export function toJson<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

/** Parses a JSON column; a corrupt cell is an internal error naming the column. */
export function fromJson<T>(text: JsonText<T>, column: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TapedeckError('INTERNAL', `db: column ${column} holds invalid JSON`, {
      cause: error,
    });
  }
}
