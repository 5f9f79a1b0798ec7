/**
 * Key templates: the syntax of `key_template`, the encoding of token values into the key
 * alphabet, and the safety check every produced object key passes. Pure (no `node:*`).
 *
 * ```text
 * key_template   = 1*( literal / token )            ≤ 512 characters
 * literal        = 0-9 A-Z a-z "." "/" "_" "-"
 * token          = "{" name "}"                     name ∈ KEY_TEMPLATE_TOKENS
 *
 * refused:  leading "/" · trailing "/" · "//" · a "." or ".." segment · unbalanced braces
 *           · an unknown token · {prefix} not standing alone between slashes
 *           · no {file}                     (the files of a recording overwrite each other)
 *           · neither {recording_id} nor {epoch_ms}   (two recordings collide)
 * warned:   {epoch_ms} without {recording_id}  (unique only per millisecond)
 * ```
 *
 * A template with `{epoch_ms}` but no `{recording_id}` is accepted with a warning: two
 * recordings that start in the same millisecond and produce the same file name map to the
 * same key. Tapedeck never overwrites (the second upload fails with
 * `DESTINATION_KEY_CONFLICT`), so this costs a failed delivery, never a lost file.
 *
 * Token values (call ids may hold any character) go through {@link encodeKeyValue}:
 * readable, inside the alphabet `[0-9A-Za-z._-]`, never empty, never starting with ".",
 * and injective, so distinct ids never share a key.
 */
import { TapedeckError } from '../errors.js';

export const KEY_TEMPLATE_TOKENS: readonly string[] = [
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
];

/** A token's name without braces. */
export type KeyTokenName =
  | 'call_type'
  | 'call_id'
  | 'recording_id'
  | 'recording_type'
  | 'part'
  | 'epoch_ms'
  | 'category'
  | 'file'
  | 'prefix'
  | 'date';

export type KeyTemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'token'; readonly name: KeyTokenName };

export const MAX_KEY_TEMPLATE_LENGTH = 512;
/** S3 and Azure both stop at 1024 bytes; every key character is ASCII. */
export const MAX_OBJECT_KEY_LENGTH = 1024;

export type KeyTemplateCheck =
  | { readonly ok: true; readonly parts: readonly KeyTemplatePart[]; readonly warnings: string[] }
  | { readonly ok: false; readonly reason: string };

const TOKEN_NAMES: ReadonlySet<string> = new Set(KEY_TEMPLATE_TOKENS.map((t) => t.slice(1, -1)));
const TEMPLATE_CHAR = /^[0-9A-Za-z./_{}-]$/;
const KEY_SEGMENT = /^[0-9A-Za-z._-]+$/;

export const EPOCH_ONLY_WARNING =
  'key_template has {epoch_ms} but no {recording_id}: keys are unique only per millisecond; ' +
  'two recordings started in the same millisecond with the same file name collide ' +
  '(the second delivery fails with DESTINATION_KEY_CONFLICT); add {recording_id} to rule this out';

/** The template's problem (the first one found) or its parts and warnings; never throws. */
export function checkKeyTemplate(template: unknown): KeyTemplateCheck {
  if (typeof template !== 'string') return { ok: false, reason: 'must be a string' };
  if (template === '') return { ok: false, reason: 'must not be empty' };
  if (template.length > MAX_KEY_TEMPLATE_LENGTH)
    return { ok: false, reason: `must be at most ${MAX_KEY_TEMPLATE_LENGTH} characters` };
  let index = 0;
  for (const ch of template) {
    if (!TEMPLATE_CHAR.test(ch))
      return {
        ok: false,
        reason: `character ${JSON.stringify(ch)} at index ${index} is not allowed (allowed: 0-9 A-Z a-z . / _ - and {token})`,
      };
    index += ch.length;
  }
  if (template.startsWith('/')) return { ok: false, reason: 'must not start with "/"' };
  if (template.endsWith('/')) return { ok: false, reason: 'must not end with "/"' };
  if (template.includes('//')) return { ok: false, reason: 'must not contain "//"' };
  if (template.split('/').some((s) => s === '.' || s === '..'))
    return { ok: false, reason: 'must not contain a "." or ".." segment' };

  const parts: KeyTemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '}') return { ok: false, reason: `unbalanced "}" at index ${i}` };
    if (ch !== '{') {
      literal += ch;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    const nextOpen = template.indexOf('{', i + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close))
      return { ok: false, reason: `unbalanced "{" at index ${i}` };
    const name = template.slice(i + 1, close);
    if (!TOKEN_NAMES.has(name))
      return {
        ok: false,
        reason: `unknown token {${name}} (known: ${KEY_TEMPLATE_TOKENS.join(' ')})`,
      };
    if (literal !== '') parts.push({ kind: 'literal', text: literal });
    literal = '';
    parts.push({ kind: 'token', name: name as KeyTokenName });
    i = close;
  }
  if (literal !== '') parts.push({ kind: 'literal', text: literal });

  for (const segment of template.split('/'))
    if (segment.includes('{prefix}') && segment !== '{prefix}')
      return {
        ok: false,
        reason: '{prefix} must stand alone between slashes (like {prefix}/{file})',
      };
  const has = (name: KeyTokenName): boolean =>
    parts.some((p) => p.kind === 'token' && p.name === name);
  if (!has('file'))
    return {
      ok: false,
      reason: 'must contain {file} (without it the files of a recording overwrite each other)',
    };
  const warnings: string[] = [];
  if (!has('recording_id')) {
    if (!has('epoch_ms'))
      return {
        ok: false,
        reason: 'must contain {recording_id} (without it two recordings of a call collide)',
      };
    warnings.push(EPOCH_ONLY_WARNING);
  }
  return { ok: true, parts, warnings };
}

/** Throws STORAGE_CONFIG_INVALID (`key_template: <reason>`) when the template is refused. */
export function validateKeyTemplate(template: string): { warnings: string[] } {
  const check = checkKeyTemplate(template);
  if (!check.ok) throw new TapedeckError('STORAGE_CONFIG_INVALID', `key_template: ${check.reason}`);
  return { warnings: check.warnings };
}

/** The parts of a valid template; throws STORAGE_CONFIG_INVALID like validateKeyTemplate. */
export function parseKeyTemplate(template: string): readonly KeyTemplatePart[] {
  const check = checkKeyTemplate(template);
  if (!check.ok) throw new TapedeckError('STORAGE_CONFIG_INVALID', `key_template: ${check.reason}`);
  return check.parts;
}

/**
 * Encodes one token value (an id, a type, a file name) into one key segment.
 *
 * A value already in `[0-9A-Za-z._-]+`, not starting with ".", and not shaped like an
 * encoding (below) is kept as is: `raw_default_abc_part1.zip` → itself. Any other value
 * has each character outside the alphabet (and a leading ".") replaced with "-", followed
 * by "_" and, for every "-" of that text in order, the original code point as 6 lowercase
 * hex digits:
 *
 * ```text
 * "default:abc"  → "default-abc_00003a"
 * "a-b c"        → "a-b-c_00002d000020"      (a kept "-" is listed too: 00002d)
 * ".."           → "-._00002e"
 * ""             → "_"
 * ```
 *
 * The result is never empty and never starts with ".". The encoding is injective: the
 * hex tail's length (6 × the dashes before the last "_" that fits) fixes where it starts,
 * so the original is recoverable, and a kept value never has that shape.
 */
export function encodeKeyValue(value: string): string {
  if (value !== '' && !value.startsWith('.') && KEY_SEGMENT.test(value) && !looksEncoded(value))
    return value;
  let text = '';
  let tail = '';
  let first = true;
  for (const ch of value) {
    const kept = KEY_SEGMENT.test(ch) && !(first && ch === '.') ? ch : '-';
    if (kept === '-') tail += (ch.codePointAt(0) ?? 0).toString(16).padStart(6, '0');
    text += kept;
    first = false;
  }
  return `${text}_${tail}`;
}

/** True when `value` = text + "_" + hex with |hex| = 6 × (dashes in text). */
function looksEncoded(value: string): boolean {
  let hexStart = value.length;
  while (hexStart > 0 && /[0-9a-f]/.test(value.charAt(hexStart - 1))) hexStart--;
  let dashes = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (ch === '_' && i + 1 >= hexStart && value.length - (i + 1) === 6 * dashes) return true;
    if (ch === '-') dashes++;
  }
  return false;
}

/**
 * True for keys every provider and the local filesystem accept unchanged:
 * `^[0-9A-Za-z._-]+(/[0-9A-Za-z._-]+)*$`, no "." or ".." segment, ≤ 1024 characters.
 */
export function isSafeObjectKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_OBJECT_KEY_LENGTH) return false;
  return key.split('/').every((s) => KEY_SEGMENT.test(s) && s !== '.' && s !== '..');
}
