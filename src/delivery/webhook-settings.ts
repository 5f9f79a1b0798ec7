/**
 * The application's webhook endpoint and the dispatcher's event cursor, kept in the
 * `app_settings` table so both survive restarts.
 */
import type { Kysely } from 'kysely';
import { fromJson, toJson, type JsonObject, type Schema } from '../db/index.js';
import { generateWebhookSecret, parseWebhookSecret } from './webhooks/index.js';

export type WebhookEndpoint = {
  readonly url: string;
  /** `whsec_<base64>`; never returned by the API after the PUT that set it. */
  readonly secret: string;
  readonly updatedAtMs: number;
};

const WEBHOOK_KEY = 'webhook';
const CURSOR_KEY = 'webhook_cursor';

async function readSetting(
  db: Kysely<Schema>,
  key: string,
): Promise<{ value: JsonObject; updatedAtMs: number } | undefined> {
  const row = await db
    .selectFrom('app_settings')
    .selectAll()
    .where('key', '=', key)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return { value: fromJson(row.value, `app_settings.${key}`), updatedAtMs: row.updated_at };
}

async function writeSetting(
  db: Kysely<Schema>,
  key: string,
  value: JsonObject,
  nowMs: number,
): Promise<void> {
  await db
    .insertInto('app_settings')
    .values({ key, value: toJson(value), updated_at: nowMs })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: toJson(value), updated_at: nowMs }))
    .execute();
}

/** The configured endpoint, or undefined when none is set. */
export async function getWebhookEndpoint(db: Kysely<Schema>): Promise<WebhookEndpoint | undefined> {
  const setting = await readSetting(db, WEBHOOK_KEY);
  if (setting === undefined) return undefined;
  const { url, secret } = setting.value;
  if (typeof url !== 'string' || typeof secret !== 'string') return undefined;
  return { url, secret, updatedAtMs: setting.updatedAtMs };
}

/**
 * Sets the endpoint. `url` must be `http:` or `https:` (TypeError naming `url`); `secret`
 * must be `whsec_<base64>` of 24–64 bytes (TypeError/RangeError naming `secret`); a new
 * one is generated when it is absent. Returns the stored endpoint, secret included.
 */
export async function putWebhookEndpoint(
  db: Kysely<Schema>,
  input: { readonly url: string; readonly secret?: string },
  nowMs = Date.now(),
): Promise<WebhookEndpoint> {
  let parsed: URL;
  try {
    parsed = new URL(input.url);
  } catch {
    throw new TypeError('url must be an absolute http: or https: URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`url must be http: or https:, got ${parsed.protocol}`);
  }
  const secret = input.secret ?? generateWebhookSecret();
  parseWebhookSecret(secret, 'secret');
  await writeSetting(db, WEBHOOK_KEY, { url: input.url, secret }, nowMs);
  return { url: input.url, secret, updatedAtMs: nowMs };
}

/** The last event `seq` already turned into delivery jobs (0 when none). */
export async function getWebhookCursor(db: Kysely<Schema>): Promise<number> {
  const setting = await readSetting(db, CURSOR_KEY);
  const seq = setting?.value['seq'];
  return typeof seq === 'number' ? seq : 0;
}

export async function setWebhookCursor(
  db: Kysely<Schema>,
  seq: number,
  nowMs = Date.now(),
): Promise<void> {
  await writeSetting(db, CURSOR_KEY, { seq }, nowMs);
}
