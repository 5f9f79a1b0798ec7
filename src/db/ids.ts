import { randomUUID } from 'node:crypto';

/**
 * A random identifier for recordings, events and jobs: a UUID v4 (lowercase hex and
 * `-`), safe in object keys and URLs and free of `_`, which key layouts use as a separator.
 */
export function newId(): string {
  return randomUUID();
}
