/**
 * tapedeck's OIDC issuer: tokens verify against its own JWKS, keys persist sealed in
 * app_settings, rotation keeps the previous key published, and the discovery routes are
 * public. jose (createLocalJWKSet + jwtVerify) is the judge of every token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerOidcRoutes } from '../../../src/api/routes/oidc-routes.js';
import { migrateToLatest, openDatabase, type TapedeckDatabase } from '../../../src/db/index.js';
import { TapedeckError } from '../../../src/errors.js';
import {
  AWS_TOKEN_AUDIENCE,
  AZURE_TOKEN_AUDIENCE,
  OidcIssuer,
} from '../../../src/storage/identity/oidc-issuer.js';
import { testServer } from '../../api/support.js';

const ISSUER = 'http://127.0.0.1:8080';
const DAY_MS = 24 * 60 * 60 * 1000;

let dir: string;
let store: TapedeckDatabase;
let apiSecret: string;

async function openStore(): Promise<void> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  store = openDatabase({ path: path.join(dir, 'tapedeck.db') });
  await migrateToLatest(store.db);
  apiSecret = randomBytes(32).toString('base64url');
}

async function closeStore(): Promise<void> {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

async function storedSetting(key: string): Promise<string | undefined> {
  const row = await store.db
    .selectFrom('app_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

async function verify(issuer: OidcIssuer, token: string, audience: string, currentDate?: Date) {
  const jwks = createLocalJWKSet((await issuer.jwks()) as unknown as JSONWebKeySet);
  return jwtVerify(token, jwks, {
    issuer: ISSUER,
    audience,
    algorithms: ['RS256'],
    ...(currentDate !== undefined ? { currentDate } : {}),
  });
}

describe('OidcIssuer tokens', () => {
  // One database (hence one key) for the whole block: RSA key generation is the slow part.
  beforeAll(openStore);
  afterAll(closeStore);

  it('token() is an RS256 JWT that verifies against jwks() with iss, sub = workspace, aud, iat, nbf, exp = iat + ttl, jti', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: `${ISSUER}/` });
    expect(issuer.issuer).toBe(ISSUER);
    expect(issuer.subject).toMatch(/^ws_[0-9a-f]{24}$/);

    const token = await issuer.token(AWS_TOKEN_AUDIENCE);
    const { payload, protectedHeader } = await verify(issuer, token, AWS_TOKEN_AUDIENCE);
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: await issuer.signingKeyId(), typ: 'JWT' });
    expect(payload.iss).toBe(ISSUER);
    expect(payload.sub).toBe(issuer.subject);
    expect(payload.aud).toBe('sts.amazonaws.com');
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp).toBe(payload.iat! + 900);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);

    const other = await issuer.token(AZURE_TOKEN_AUDIENCE);
    const verified = await verify(issuer, other, 'api://AzureADTokenExchange');
    expect(verified.payload.jti).not.toBe(payload.jti);
    await expect(verify(issuer, other, AWS_TOKEN_AUDIENCE)).rejects.toThrow(/aud/);
  });

  it('token() passes a GCP provider resource through as aud and honours tokenTtlSeconds', async () => {
    const issuer = await OidcIssuer.open({
      db: store.db,
      apiSecret,
      issuer: ISSUER,
      tokenTtlSeconds: 120,
    });
    const audience =
      '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/tapedeck/providers/tapedeck';
    const { payload } = await verify(issuer, await issuer.token(audience), audience);
    expect(payload.aud).toBe(audience);
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('a token is rejected by jose once exp has passed (checked with jose currentDate)', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const token = await issuer.token(AWS_TOKEN_AUDIENCE);
    await expect(
      verify(issuer, token, AWS_TOKEN_AUDIENCE, new Date(Date.now() + 901_000)),
    ).rejects.toThrow(/exp/);
  });

  it('jwks() publishes only public RSA members with kid, alg RS256 and use sig', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const { keys } = await issuer.jwks();
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(key).toMatchObject({
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      kid: await issuer.signingKeyId(),
    });
    expect(Buffer.from(key.n!, 'base64url').length).toBe(256); // RSA 2048
  });

  it('discovery() is the OpenID configuration pointing at the JWKS', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    expect(issuer.discovery()).toEqual({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti'],
    });
  });

  it('open() names the bad option: issuer, tokenTtlSeconds, rotationIntervalMs; token() names audience', async () => {
    await expect(OidcIssuer.open({ db: store.db, apiSecret, issuer: 'ftp://x' })).rejects.toThrow(
      /options\.issuer/,
    );
    await expect(OidcIssuer.open({ db: store.db, apiSecret, issuer: 'not a url' })).rejects.toThrow(
      TypeError,
    );
    await expect(
      OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER, tokenTtlSeconds: 10 }),
    ).rejects.toThrow(/options\.tokenTtlSeconds/);
    await expect(
      OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER, rotationIntervalMs: 0 }),
    ).rejects.toThrow(/options\.rotationIntervalMs/);
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    await expect(issuer.token('')).rejects.toThrow(/audience/);
  });
});

describe('OidcIssuer key storage', () => {
  beforeEach(openStore);
  afterEach(closeStore);

  it('keys and workspace persist across re-open of the same database: same kid, same sub', async () => {
    const first = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const kid = await first.signingKeyId();
    const token = await first.token(AWS_TOKEN_AUDIENCE);

    await store.close();
    store = openDatabase({ path: path.join(dir, 'tapedeck.db') });
    const second = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    expect(await second.signingKeyId()).toBe(kid);
    expect(second.subject).toBe(first.subject);
    const { payload } = await verify(second, token, AWS_TOKEN_AUDIENCE);
    expect(payload.sub).toBe(first.subject);
    expect(decodeProtectedHeader(await second.token(AWS_TOKEN_AUDIENCE)).kid).toBe(kid);
  });

  it('the stored row holds the public key and a sealed private key: no private member in clear', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const text = await storedSetting('oidc_signing_keys');
    expect(text).toBeDefined();
    const doc = JSON.parse(text!) as { keys: Record<string, unknown>[] };
    expect(doc.keys).toHaveLength(1);
    const entry = doc.keys[0]!;
    expect(Object.keys(entry).sort()).toEqual([
      'created_at',
      'kid',
      'private_sealed',
      'public_jwk',
    ]);
    expect(entry['kid']).toBe(await issuer.signingKeyId());
    expect(entry['private_sealed']).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    for (const member of ['"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"'])
      expect(text).not.toContain(member);
    expect(JSON.parse(String(await storedSetting('workspace')))).toEqual({ id: issuer.subject });
  });

  it('a different apiSecret cannot open the stored keys: INTERNAL naming oidc signing keys and the API secret', async () => {
    await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const error: unknown = await OidcIssuer.open({
      db: store.db,
      apiSecret: randomBytes(32).toString('base64url'),
      issuer: ISSUER,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('INTERNAL');
    expect((error as TapedeckError).message).toMatch(
      /oidc signing keys .* do not open with this API secret/,
    );
  });
});

describe('OidcIssuer rotation', () => {
  beforeEach(openStore);
  afterEach(closeStore);

  it('after rotateNow() new tokens carry the new kid, and a token signed just before still verifies against the JWKS', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const oldKid = await issuer.signingKeyId();
    const oldToken = await issuer.token(AWS_TOKEN_AUDIENCE);

    const newKid = await issuer.rotateNow();
    expect(newKid).not.toBe(oldKid);
    const newToken = await issuer.token(AWS_TOKEN_AUDIENCE);
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    expect((await issuer.jwks()).keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
    await verify(issuer, oldToken, AWS_TOKEN_AUDIENCE);
    await verify(issuer, newToken, AWS_TOKEN_AUDIENCE);
  });

  it('a second rotation drops the oldest key from the JWKS; tokens signed with it no longer verify', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const first = await issuer.signingKeyId();
    const firstToken = await issuer.token(AWS_TOKEN_AUDIENCE);
    const second = await issuer.rotateNow();
    const third = await issuer.rotateNow();
    expect((await issuer.jwks()).keys.map((k) => k.kid)).toEqual([second, third]);
    expect((await issuer.jwks()).keys.map((k) => k.kid)).not.toContain(first);
    await expect(verify(issuer, firstToken, AWS_TOKEN_AUDIENCE)).rejects.toThrow(
      /no applicable key/i,
    );
  });

  it('rotates by itself once the newest key is older than rotationIntervalMs (injected clock), keeping the previous key one more interval', async () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const now = (): number => nowMs;
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER, now });
    const a = await issuer.signingKeyId();

    nowMs += 30 * DAY_MS - 1;
    expect(await issuer.signingKeyId()).toBe(a);

    nowMs += 1;
    const b = await issuer.signingKeyId();
    expect(b).not.toBe(a);
    expect((await issuer.jwks()).keys.map((k) => k.kid)).toEqual([a, b]);

    nowMs += 30 * DAY_MS;
    const c = await issuer.signingKeyId();
    expect((await issuer.jwks()).keys.map((k) => k.kid)).toEqual([b, c]);

    // Another process on the same database sees the same keys and does not rotate again.
    const again = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER, now });
    expect(await again.signingKeyId()).toBe(c);
    const token = await again.token(AWS_TOKEN_AUDIENCE);
    const { payload } = await verify(issuer, token, AWS_TOKEN_AUDIENCE, new Date(nowMs));
    expect(payload.iat).toBe(Math.floor(nowMs / 1000));
  });

  it('concurrent token() calls when a rotation is due make one new key, and all tokens carry it', async () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const issuer = await OidcIssuer.open({
      db: store.db,
      apiSecret,
      issuer: ISSUER,
      now: () => nowMs,
    });
    nowMs += 31 * DAY_MS;
    const tokens = await Promise.all([1, 2, 3, 4].map(() => issuer.token(AWS_TOKEN_AUDIENCE)));
    const kids = new Set(tokens.map((t) => decodeProtectedHeader(t).kid));
    expect(kids.size).toBe(1);
    const { keys } = await issuer.jwks();
    expect(keys).toHaveLength(2);
    expect(keys[1]!.kid).toBe([...kids][0]);
  });

  it('two issuers on one database racing to rotate agree on one key set', async () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const now = (): number => nowMs;
    const one = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER, now });
    const two = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER, now });
    nowMs += 31 * DAY_MS;
    const [kidOne, kidTwo] = await Promise.all([one.signingKeyId(), two.signingKeyId()]);
    expect(kidOne).toBe(kidTwo);
    expect((await one.jwks()).keys).toEqual((await two.jwks()).keys);
    expect((await one.jwks()).keys).toHaveLength(2);
  });
});

describe('registerOidcRoutes()', () => {
  // One database (hence one key) for the whole block: RSA key generation is the slow part.
  beforeAll(openStore);
  afterAll(closeStore);

  it('serves the discovery document and JWKS as JSON with cache-control public, max-age=300', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const app = Fastify();
    registerOidcRoutes(app, issuer);
    try {
      const config = await app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
      expect(config.statusCode).toBe(200);
      expect(config.headers['content-type']).toMatch(/^application\/json/);
      expect(config.headers['cache-control']).toBe('public, max-age=300');
      expect(config.json()).toEqual(issuer.discovery());

      const jwks = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(jwks.statusCode).toBe(200);
      expect(jwks.headers['content-type']).toMatch(/^application\/json/);
      expect(jwks.headers['cache-control']).toBe('public, max-age=300');
      const body = jwks.json<JSONWebKeySet>();
      expect(body).toEqual(await issuer.jwks());
      const token = await issuer.token(AWS_TOKEN_AUDIENCE);
      await jwtVerify(token, createLocalJWKSet(body), {
        issuer: ISSUER,
        audience: AWS_TOKEN_AUDIENCE,
      });
    } finally {
      await app.close();
    }
  });

  it('needs no token on the full API server, whose other routes do', async () => {
    const issuer = await OidcIssuer.open({ db: store.db, apiSecret, issuer: ISSUER });
    const { server } = testServer({ routes: [(app) => registerOidcRoutes(app, issuer)] });
    try {
      const config = await server.app.inject({
        method: 'GET',
        url: '/.well-known/openid-configuration',
      });
      expect(config.statusCode).toBe(200);
      expect(config.json()).toMatchObject({ issuer: ISSUER });
      const jwks = await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(jwks.statusCode).toBe(200);
      expect(jwks.json<JSONWebKeySet>().keys).toHaveLength(1);
      const whoami = await server.app.inject({ method: 'GET', url: '/v1/whoami' });
      expect(whoami.statusCode).toBe(401);
    } finally {
      await server.close();
    }
  });
});
