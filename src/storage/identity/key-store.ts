/**
 * The OIDC issuer's signing keys and workspace id, kept in `app_settings` so they survive
 * restarts and are shared by every process on the same database.
 *
 * ```text
 * app_settings['workspace']          = { id: "ws_<24 hex>" }                      (made once)
 * app_settings['oidc_signing_keys']  = { keys: [ { kid, created_at, public_jwk, private_sealed }, … ] }
 *                                        oldest first; the last one signs
 *
 * private_sealed = createSecretBox(apiSecret, 'tapedeck oidc keys v1').seal(private JWK JSON, kid)
 *
 * time ─────┬──────────── interval ────────────┬──────────── interval ────────────┬──▶
 *        key A made                         key B made                       key C made
 *        A signs, JWKS {A}                  B signs, JWKS {A,B}              C signs, JWKS {B,C}
 * ```
 *
 * Rotation happens lazily (on the next read once the newest key is older than the
 * interval) or at once with `rotate()`. Writes are compare-and-swap on the stored text, so
 * two processes rotating at the same moment agree on one result (the loser re-reads).
 * The private key never leaves this module unsealed except as a non-extractable CryptoKey.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import { fromJson, toJson, type JsonObject, type JsonText, type Schema } from '../../db/index.js';
import { TapedeckError } from '../../errors.js';
import { createSecretBox, type SecretBox } from '../secret-box.js';

export const OIDC_KEYS_SETTING = 'oidc_signing_keys';
export const WORKSPACE_SETTING = 'workspace';
export const OIDC_KEYS_PURPOSE = 'tapedeck oidc keys v1';
export const OIDC_SIGNING_ALG = 'RS256';

/** One key as stored (`created_at` in Unix ms). */
export type StoredSigningKey = {
  readonly kid: string;
  readonly created_at: number;
  readonly public_jwk: JWK;
  readonly private_sealed: string;
};

/** A public key as published in the JWKS. */
export type PublicSigningKey = JWK & {
  readonly kid: string;
  readonly alg: typeof OIDC_SIGNING_ALG;
  readonly use: 'sig';
};

export type SigningKeySet = {
  /** The key that signs now (the newest). */
  readonly signing: { readonly kid: string; readonly key: CryptoKey };
  /** Keys to publish, oldest first (the previous key and the signing key). */
  readonly published: readonly PublicSigningKey[];
};

export type KeyStoreOptions = {
  readonly db: Kysely<Schema>;
  readonly apiSecret: string;
  /** A new signing key once the newest is this old. */
  readonly rotationIntervalMs: number;
  /** Clock in Unix ms. */
  readonly now: () => number;
};

type KeysDocument = { readonly keys: readonly StoredSigningKey[] };

/** Signing keys and the workspace id, persisted and rotated. */
export class OidcKeyStore {
  readonly #db: Kysely<Schema>;
  readonly #box: SecretBox;
  readonly #rotationIntervalMs: number;
  readonly #now: () => number;
  readonly #workspaceId: string;
  /** Opened private keys by kid. */
  readonly #opened = new Map<string, CryptoKey>();
  #rotating: Promise<boolean> | undefined;

  private constructor(options: KeyStoreOptions, workspaceId: string) {
    this.#db = options.db;
    this.#box = createSecretBox(options.apiSecret, OIDC_KEYS_PURPOSE);
    this.#rotationIntervalMs = options.rotationIntervalMs;
    this.#now = options.now;
    this.#workspaceId = workspaceId;
  }

  /**
   * Loads (creating on first use) the workspace id and the keys, and opens the signing key,
   * so a wrong API secret fails here: INTERNAL "oidc signing keys do not open …".
   */
  static async open(options: KeyStoreOptions): Promise<OidcKeyStore> {
    const workspaceId = await loadWorkspaceId(options.db, options.now());
    const store = new OidcKeyStore(options, workspaceId);
    await store.current();
    return store;
  }

  get workspaceId(): string {
    return this.#workspaceId;
  }

  /** The signing key and the published keys, rotating first when the newest key is due. */
  async current(): Promise<SigningKeySet> {
    for (;;) {
      const stored = await this.#read();
      const newest = stored?.doc.keys.at(-1);
      if (stored !== undefined && newest !== undefined) {
        if (this.#now() - newest.created_at < this.#rotationIntervalMs)
          return this.#toSet(stored.doc);
      }
      // One rotation at a time in this process; across processes the compare-and-swap
      // decides (the loser's key is dropped). Either way the loop re-reads the winner.
      this.#rotating ??= this.#rotated(stored?.doc)
        .then((next) => this.#replace(stored, next))
        .finally(() => {
          this.#rotating = undefined;
        });
      await this.#rotating;
    }
  }

  /** Makes a new signing key now (the previous one stays published); returns its kid. */
  async rotate(): Promise<string> {
    for (;;) {
      const stored = await this.#read();
      const next = await this.#rotated(stored?.doc);
      if (await this.#replace(stored, next)) return next.keys.at(-1)?.kid ?? '';
    }
  }

  async #toSet(doc: KeysDocument): Promise<SigningKeySet> {
    const newest = doc.keys.at(-1);
    if (newest === undefined) throw new TapedeckError('INTERNAL', `${OIDC_KEYS_SETTING} is empty`);
    return {
      signing: { kid: newest.kid, key: await this.#openPrivate(newest) },
      published: doc.keys.map((k) => publicKey(k)),
    };
  }

  async #openPrivate(stored: StoredSigningKey): Promise<CryptoKey> {
    const cached = this.#opened.get(stored.kid);
    if (cached !== undefined) return cached;
    let jwk: JWK;
    try {
      jwk = JSON.parse(this.#box.open(stored.private_sealed, sealContext(stored.kid))) as JWK;
    } catch (cause) {
      throw new TapedeckError(
        'INTERNAL',
        `oidc signing keys (app_settings.${OIDC_KEYS_SETTING}) do not open with this API secret; ` +
          'they were sealed under another secret (removing that setting makes new keys)',
        { cause },
      );
    }
    const key = await importJWK(jwk, OIDC_SIGNING_ALG, { extractable: false });
    if (key instanceof Uint8Array)
      throw new TapedeckError('INTERNAL', `oidc signing key ${stored.kid} is not an RSA key`);
    this.#opened.set(stored.kid, key);
    return key;
  }

  /** The document after one rotation: the previous newest key and a fresh one. */
  async #rotated(doc: KeysDocument | undefined): Promise<KeysDocument> {
    const previous = doc?.keys.at(-1);
    const fresh = await this.#generate();
    return { keys: previous === undefined ? [fresh] : [previous, fresh] };
  }

  async #generate(): Promise<StoredSigningKey> {
    const pair = await generateKeyPair(OIDC_SIGNING_ALG, {
      modulusLength: 2048,
      extractable: true,
    });
    const publicJwk = await exportJWK(pair.publicKey);
    if (publicJwk.kty !== 'RSA' || publicJwk.n === undefined || publicJwk.e === undefined)
      throw new TapedeckError('INTERNAL', 'generated oidc signing key is not RSA');
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk = await exportJWK(pair.privateKey);
    const sealed = this.#box.seal(JSON.stringify(privateJwk), sealContext(kid));
    return {
      kid,
      created_at: this.#now(),
      public_jwk: {
        kty: publicJwk.kty,
        n: publicJwk.n,
        e: publicJwk.e,
        kid,
        alg: OIDC_SIGNING_ALG,
        use: 'sig',
      },
      private_sealed: sealed,
    };
  }

  async #read(): Promise<{ text: string; doc: KeysDocument } | undefined> {
    const row = await this.#db
      .selectFrom('app_settings')
      .select('value')
      .where('key', '=', OIDC_KEYS_SETTING)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const value = fromJson(row.value, `app_settings.${OIDC_KEYS_SETTING}`);
    return { text: row.value, doc: parseKeysDocument(value) };
  }

  /** Compare-and-swap: writes `next` only if the row still holds what was read. */
  async #replace(stored: { text: string } | undefined, next: KeysDocument): Promise<boolean> {
    const value = toJson(next as unknown as JsonObject);
    const nowMs = this.#now();
    if (stored === undefined) {
      const result = await this.#db
        .insertInto('app_settings')
        .values({ key: OIDC_KEYS_SETTING, value, updated_at: nowMs })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      return result.numInsertedOrUpdatedRows === 1n;
    }
    const result = await this.#db
      .updateTable('app_settings')
      .set({ value, updated_at: nowMs })
      .where('key', '=', OIDC_KEYS_SETTING)
      .where('value', '=', stored.text as JsonText<JsonObject>)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

function sealContext(kid: string): string {
  return `${OIDC_KEYS_SETTING}:${kid}`;
}

function publicKey(stored: StoredSigningKey): PublicSigningKey {
  return { ...stored.public_jwk, kid: stored.kid, alg: OIDC_SIGNING_ALG, use: 'sig' };
}

function parseKeysDocument(value: JsonObject): KeysDocument {
  const keys = value['keys'];
  if (!Array.isArray(keys)) {
    throw new TapedeckError('INTERNAL', `app_settings.${OIDC_KEYS_SETTING} has no keys array`);
  }
  return {
    keys: keys.map((k: unknown, i) => {
      const entry = k as Partial<StoredSigningKey> | null;
      if (
        entry === null ||
        typeof entry.kid !== 'string' ||
        typeof entry.created_at !== 'number' ||
        typeof entry.private_sealed !== 'string' ||
        typeof entry.public_jwk !== 'object'
      ) {
        throw new TapedeckError(
          'INTERNAL',
          `app_settings.${OIDC_KEYS_SETTING} key ${i} is malformed`,
        );
      }
      return entry as StoredSigningKey;
    }),
  };
}

/** The workspace id, made once (`ws_` + 24 hex digits); the first writer wins. */
async function loadWorkspaceId(db: Kysely<Schema>, nowMs: number): Promise<string> {
  await db
    .insertInto('app_settings')
    .values({
      key: WORKSPACE_SETTING,
      value: toJson({ id: `ws_${randomBytes(12).toString('hex')}` }),
      updated_at: nowMs,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('app_settings')
    .select('value')
    .where('key', '=', WORKSPACE_SETTING)
    .executeTakeFirstOrThrow();
  const id = fromJson(row.value, `app_settings.${WORKSPACE_SETTING}`)['id'];
  if (typeof id !== 'string' || id === '') {
    throw new TapedeckError('INTERNAL', `app_settings.${WORKSPACE_SETTING} has no id`);
  }
  return id;
}
