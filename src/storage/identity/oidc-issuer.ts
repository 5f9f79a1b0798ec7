/**
 * tapedeck as an OpenID Connect issuer: it mints short-lived RS256 JWTs whose subject is
 * the workspace id, and publishes the discovery document and JWKS that AWS IAM, GCP
 * workload identity federation and Microsoft Entra fetch to verify them. The clouds then
 * trade the token for their own credentials; no long-lived cloud secret is stored.
 *
 * ```text
 * header  { alg: RS256, kid: <JWK thumbprint>, typ: JWT }
 * payload { iss: <issuer URL>, sub: ws_…, aud: <cloud audience>, iat, nbf = iat,
 *           exp = iat + ttl, jti: <uuid> }
 *
 * GET <issuer>/.well-known/openid-configuration → discovery()
 * GET <issuer>/.well-known/jwks.json            → jwks()
 * ```
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html
 * @see RFC 7517 (JWK), RFC 7519 (JWT), RFC 7638 (JWK thumbprint, used as kid)
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { SignJWT } from 'jose';
import type { Schema } from '../../db/index.js';
import type { IdentityTokenSource } from '../types.js';
import { OIDC_SIGNING_ALG, OidcKeyStore, type PublicSigningKey } from './key-store.js';

/** `aud` for AWS STS AssumeRoleWithWebIdentity. */
export const AWS_TOKEN_AUDIENCE = 'sts.amazonaws.com';
/** `aud` for an Entra federated identity credential. */
export const AZURE_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
// GCP has no fixed audience: it is the provider resource `GcsFederation.audience`
// (`//iam.googleapis.com/projects/…/providers/…`), passed through as is.

export const DEFAULT_ROTATION_INTERVAL_MS = 30 * 24 * 60 * 60 * 1000;
export const DEFAULT_TOKEN_TTL_SECONDS = 900;

export type OidcIssuerOptions = {
  readonly db: Kysely<Schema>;
  /** The server's API secret; seals the private keys at rest. */
  readonly apiSecret: string;
  /**
   * Public base URL (`http(s)://host[:port][/path]`); a trailing `/` is dropped. A function
   * is read at each use (a server that learns its bound port after opening the issuer).
   */
  readonly issuer: string | (() => string);
  /** A new signing key once the newest is this old. Default 30 days. */
  readonly rotationIntervalMs?: number;
  /** Token lifetime, 60–86400 s. Default 900. */
  readonly tokenTtlSeconds?: number;
  /** Clock in Unix ms. Default `Date.now`. */
  readonly now?: () => number;
};

export type Jwks = { readonly keys: readonly PublicSigningKey[] };

export type OpenIdConfiguration = {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly claims_supported: readonly string[];
};

const CLAIMS = ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti'] as const;

export class OidcIssuer implements IdentityTokenSource {
  readonly #issuer: () => string;
  readonly #keys: OidcKeyStore;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  private constructor(
    issuer: () => string,
    keys: OidcKeyStore,
    ttlSeconds: number,
    now: () => number,
  ) {
    this.#issuer = issuer;
    this.#keys = keys;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  /**
   * Loads or creates the workspace id and signing keys. Throws TypeError/RangeError naming
   * a bad option, and INTERNAL when the stored keys do not open with `apiSecret`.
   */
  static async open(options: OidcIssuerOptions): Promise<OidcIssuer> {
    const given = options.issuer;
    const issuer =
      typeof given === 'function' ? () => parseIssuer(given()) : constant(parseIssuer(given));
    const rotationIntervalMs = options.rotationIntervalMs ?? DEFAULT_ROTATION_INTERVAL_MS;
    if (!Number.isSafeInteger(rotationIntervalMs) || rotationIntervalMs <= 0)
      throw new RangeError('options.rotationIntervalMs must be a positive integer');
    const ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > 86_400)
      throw new RangeError('options.tokenTtlSeconds must be an integer from 60 to 86400');
    if (typeof options.apiSecret !== 'string' || options.apiSecret === '')
      throw new TypeError('options.apiSecret must be a non-empty string');
    const now = options.now ?? Date.now;
    const keys = await OidcKeyStore.open({
      db: options.db,
      apiSecret: options.apiSecret,
      rotationIntervalMs,
      now,
    });
    return new OidcIssuer(issuer, keys, ttlSeconds, now);
  }

  /** The issuer URL (`iss` of every token). */
  get issuer(): string {
    return this.#issuer();
  }

  /** The workspace id (`ws_…`), every token's `sub`. */
  get subject(): string {
    return this.#keys.workspaceId;
  }

  /** A signed JWT for `audience` (the exact `aud` the cloud expects). */
  async token(audience: string): Promise<string> {
    if (typeof audience !== 'string' || audience.trim() === '')
      throw new TypeError('audience must be a non-empty string');
    const { signing } = await this.#keys.current();
    const iat = Math.floor(this.#now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: OIDC_SIGNING_ALG, kid: signing.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(this.subject)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + this.#ttlSeconds)
      .setJti(randomUUID())
      .sign(signing.key);
  }

  /** The published keys: the signing key and, for one interval after a rotation, the previous one. */
  async jwks(): Promise<Jwks> {
    const { published } = await this.#keys.current();
    return { keys: published };
  }

  /** The kid that signs now. */
  async signingKeyId(): Promise<string> {
    return (await this.#keys.current()).signing.kid;
  }

  /** Makes a new signing key at once (operators, tests); returns its kid. */
  rotateNow(): Promise<string> {
    return this.#keys.rotate();
  }

  discovery(): OpenIdConfiguration {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/.well-known/jwks.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [OIDC_SIGNING_ALG],
      claims_supported: CLAIMS,
    };
  }
}

function constant(value: string): () => string {
  return () => value;
}

function parseIssuer(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('options.issuer must be a string URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('options.issuer must be an absolute http: or https: URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`options.issuer must be http: or https:, got ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw new TypeError('options.issuer must not carry a query, fragment or credentials');
  return value.replace(/\/+$/, '');
}
