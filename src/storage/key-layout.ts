/**
 * Where a recording's files go inside the bucket: the default layout or the configured
 * key template, expanded for one file. Pure (no `node:*`).
 *
 * ```text
 * prefix  = prefixes[category] ?? path                  ('' = bucket root)
 *
 * default layout                          {prefix}/{recording_id}_{file}
 *   no prefix                             {recording_id}_{file}
 *   multi-file collection                 {prefix}/{recording_id}_{collection}/{file}
 *
 * key template                            tokens expanded (see key-template.ts);
 *   {file} of a collection                {collection}/{file}
 *   {prefix} empty                        "{prefix}/x" → "x" (its segment disappears)
 *   {date}                                UTC YYYY-MM-DD of epoch_ms
 * ```
 *
 * Every token value except `{prefix}` (a validated path) goes through `encodeKeyValue`, so
 * ids holding any character still give keys in `[0-9A-Za-z._-]` segments, and two
 * different recording ids (or files, or collections) never give the same key. Every key
 * returned passes `isSafeObjectKey`; a stored configuration whose path or prefix would
 * break that throws STORAGE_CONFIG_INVALID instead of producing the key.
 */
import { TapedeckError } from '../errors.js';
import {
  encodeKeyValue,
  isSafeObjectKey,
  MAX_OBJECT_KEY_LENGTH,
  parseKeyTemplate,
} from './key-template.js';
import type { KeyTemplatePart, KeyTokenName } from './key-template.js';
import { FILE_CATEGORIES } from './types.js';
import type { FileCategory, StorageConfig } from './types.js';

export type KeyContext = {
  readonly callType: string;
  readonly callId: string;
  readonly recordingId: string;
  readonly recordingType: string;
  /** Part number (≥ 0). */
  readonly part: number;
  /** Recording start, Unix milliseconds (0 … year 9999). */
  readonly epochMs: number;
  readonly category: FileCategory;
  /** One safe file name, e.g. raw_default_abc_part1.zip. */
  readonly file: string;
  /** Set for multi-file collections (for example HLS segments): their shared folder name. */
  readonly collection?: string;
};

export type KeyLayoutConfig = Pick<StorageConfig, 'path' | 'prefixes' | 'keyTemplate'>;

/** 9999-12-31T23:59:59.999Z: the last instant `{date}` writes with four digits. */
const MAX_EPOCH_MS = 253_402_300_799_999;

/** The object key for one file of a recording. */
export function objectKey(config: KeyLayoutConfig, ctx: KeyContext): string {
  checkContext(ctx);
  const prefix = categoryPrefix(config, ctx.category);
  const recordingId = encodeKeyValue(ctx.recordingId);
  const file = encodeKeyValue(ctx.file);
  const collection = ctx.collection === undefined ? undefined : encodeKeyValue(ctx.collection);
  let key: string;
  if (config.keyTemplate === undefined) {
    const leaf =
      collection === undefined ? `${recordingId}_${file}` : `${recordingId}_${collection}/${file}`;
    key = prefix === '' ? leaf : `${prefix}/${leaf}`;
  } else {
    const values: Record<KeyTokenName, string> = {
      call_type: encodeKeyValue(ctx.callType),
      call_id: encodeKeyValue(ctx.callId),
      recording_id: recordingId,
      recording_type: encodeKeyValue(ctx.recordingType),
      part: String(ctx.part),
      epoch_ms: String(ctx.epochMs),
      category: ctx.category,
      file: collection === undefined ? file : `${collection}/${file}`,
      prefix,
      date: new Date(ctx.epochMs).toISOString().slice(0, 10),
    };
    key = expand(parseKeyTemplate(config.keyTemplate), values);
  }
  if (!isSafeObjectKey(key)) {
    const reason =
      key.length > MAX_OBJECT_KEY_LENGTH
        ? `is ${key.length} characters, more than the ${MAX_OBJECT_KEY_LENGTH} providers accept`
        : 'is not a safe key (check path, prefixes and key_template)';
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      `object key for recording ${recordingId} file ${file} ${reason}`,
    );
  }
  return key;
}

/**
 * The distinct prefixes write_only validation probes ('' = bucket root), in category
 * order. Default layout: the prefix each category resolves to (a category prefix, else
 * `path`), so `path` is probed unless every category has its own prefix. Key template: for
 * each category, the literal text before the first token other than `{prefix}` (with
 * `{prefix}` resolved), cut back to its last "/".
 */
export function distinctPrefixes(config: KeyLayoutConfig): string[] {
  const parts = config.keyTemplate === undefined ? undefined : parseKeyTemplate(config.keyTemplate);
  const out: string[] = [];
  for (const category of FILE_CATEGORIES) {
    const prefix = categoryPrefix(config, category);
    let probe = prefix;
    if (parts !== undefined) {
      const head = expandHead(parts, prefix);
      probe = head.slice(0, Math.max(0, head.lastIndexOf('/')));
      probe = probe
        .split('/')
        .filter((s) => s !== '')
        .join('/');
    }
    if (!out.includes(probe)) out.push(probe);
  }
  return out;
}

function categoryPrefix(config: KeyLayoutConfig, category: FileCategory): string {
  return config.prefixes[category] ?? config.path;
}

/** Joins the parts; an empty `{prefix}` takes its segment with it. */
function expand(
  parts: readonly KeyTemplatePart[],
  values: Readonly<Record<KeyTokenName, string>>,
): string {
  const text = parts.map((p) => (p.kind === 'literal' ? p.text : values[p.name])).join('');
  // Only {prefix} can be empty, and it stands alone between slashes (checkKeyTemplate).
  return text
    .split('/')
    .filter((s) => s !== '')
    .join('/');
}

/** The template up to its first token other than {prefix}, with {prefix} resolved. */
function expandHead(parts: readonly KeyTemplatePart[], prefix: string): string {
  let head = '';
  for (const part of parts) {
    if (part.kind === 'literal') head += part.text;
    else if (part.name === 'prefix') head += prefix;
    else break;
  }
  return head;
}

function checkContext(ctx: KeyContext): void {
  for (const field of ['callType', 'callId', 'recordingId', 'recordingType', 'file'] as const)
    if (typeof ctx[field] !== 'string') throw new TypeError(`ctx.${field} must be a string`);
  if (ctx.collection !== undefined && typeof ctx.collection !== 'string')
    throw new TypeError('ctx.collection must be a string when set');
  if (!Number.isSafeInteger(ctx.part) || ctx.part < 0)
    throw new RangeError('ctx.part must be a non-negative integer');
  if (!Number.isSafeInteger(ctx.epochMs) || ctx.epochMs < 0 || ctx.epochMs > MAX_EPOCH_MS)
    throw new RangeError('ctx.epochMs must be an integer from 0 to 253402300799999 (year 9999)');
  if (!FILE_CATEGORIES.includes(ctx.category))
    throw new TypeError(`ctx.category must be one of ${FILE_CATEGORIES.join(', ')}`);
}
