import { createHmac, randomBytes, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import {
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
} from '../../src/delivery/webhooks/index.js';
import {
  TapedeckWebhookError,
  verifyWebhook as clientVerify,
} from '../../packages/client/src/webhooks.js';

/**
 * Known answer from the Standard Webhooks reference libraries' test suite
 * (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts,
 * "sign function works").
 */
const KAT = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;
const KAT_NOW = new Date(KAT.timestamp * 1000);

/** The algorithm written out independently with node:crypto. */
function independentSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof TapedeckError ? error.code : `not a TapedeckError: ${String(error)}`;
  }
  return undefined;
}

async function clientCodeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof TapedeckWebhookError
      ? error.code
      : `not a TapedeckWebhookError: ${String(error)}`;
  }
  return undefined;
}

describe('signWebhook()', () => {
  it('reproduces the Standard Webhooks reference signature for the published example', () => {
    const headers = signWebhook({
      secret: KAT.secret,
      id: KAT.id,
      timestamp: KAT.timestamp,
      body: KAT.body,
    });
    expect(headers).toEqual({
      'webhook-id': KAT.id,
      'webhook-timestamp': String(KAT.timestamp),
      'webhook-signature': KAT.signature,
    });
  });

  it('signs "{id}.{timestamp}.{body}" exactly as an independent node:crypto HMAC does, for string and byte bodies', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'call.recording_ready',
      note: 'naïve — ünïcode',
    });
    const expected = independentSignature(secret, 'evt_1', 1_700_000_000, body);
    expect(
      signWebhook({ secret, id: 'evt_1', timestamp: 1_700_000_000, body })['webhook-signature'],
    ).toBe(expected);
    const bytes = new TextEncoder().encode(body);
    expect(
      signWebhook({ secret, id: 'evt_1', timestamp: 1_700_000_000, body: bytes })[
        'webhook-signature'
      ],
    ).toBe(expected);
  });

  it('with several secrets (rotation) emits one space-separated v1 signature per secret, in order', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const headers = signWebhook({
      secret: [newSecret, oldSecret],
      id: 'evt_2',
      timestamp: 1_700_000_001,
      body: '{}',
    });
    expect(headers['webhook-signature'].split(' ')).toEqual([
      independentSignature(newSecret, 'evt_2', 1_700_000_001, '{}'),
      independentSignature(oldSecret, 'evt_2', 1_700_000_001, '{}'),
    ]);
  });

  it('rejects a message id with spaces, an empty one, and a non-integer timestamp, naming the option', () => {
    const secret = generateWebhookSecret();
    expect(() => signWebhook({ secret, id: 'a b', timestamp: 1, body: '' })).toThrow(/^id must be/);
    expect(() => signWebhook({ secret, id: '', timestamp: 1, body: '' })).toThrow(TypeError);
    expect(() => signWebhook({ secret, id: 'x', timestamp: 1.5, body: '' })).toThrow(
      /^timestamp must be/,
    );
    expect(() => signWebhook({ secret, id: 'x', timestamp: -1, body: '' })).toThrow(RangeError);
  });
});

describe('whsec_ secrets', () => {
  it('generateWebhookSecret() returns whsec_ and 32 random bytes of base64, different each time', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(parseWebhookSecret(a)).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(parseWebhookSecret(generateWebhookSecret(64))).toHaveLength(64);
    expect(() => generateWebhookSecret(16)).toThrow(/^bytes must be an integer from 24 to 64/);
  });

  it('parseWebhookSecret() decodes the key and accepts unpadded base64', () => {
    const key = randomBytes(25);
    expect(Buffer.from(parseWebhookSecret('whsec_' + key.toString('base64')))).toEqual(key);
    expect(
      Buffer.from(parseWebhookSecret('whsec_' + key.toString('base64').replace(/=+$/, ''))),
    ).toEqual(key);
  });

  it('parseWebhookSecret() throws TypeError for a missing prefix, non-base64 text or misplaced padding, RangeError for a key under 24 or over 64 bytes', () => {
    const good = randomBytes(32).toString('base64');
    expect(() => parseWebhookSecret(good)).toThrow(
      /^secret must be a string of the form whsec_<base64>$/,
    );
    expect(() => parseWebhookSecret('whsec_' + good.replace(/.$/, '!'))).toThrow(/not base64/);
    expect(() => parseWebhookSecret('whsec_' + good.slice(0, -1) + '-')).toThrow(TypeError);
    expect(() => parseWebhookSecret('whsec_a' + good)).toThrow(/not base64/);
    expect(() => parseWebhookSecret('whsec_')).toThrow(TypeError);
    expect(() => parseWebhookSecret('whsec_' + randomBytes(23).toString('base64'))).toThrow(
      /must decode to 24 to 64 bytes, got 23/,
    );
    expect(() => parseWebhookSecret('whsec_' + randomBytes(65).toString('base64'))).toThrow(
      RangeError,
    );
    expect(() =>
      signWebhook({ secret: ['whsec_' + good, 'nope'], id: 'x', timestamp: 1, body: '' }),
    ).toThrow(/^secret\[1\] must be/);
    expect(() => signWebhook({ secret: [], id: 'x', timestamp: 1, body: '' })).toThrow(
      /non-empty array/,
    );
  });
});

describe('verifyWebhook() (server) and the client helper agree', () => {
  const headers = {
    'webhook-id': KAT.id,
    'webhook-timestamp': String(KAT.timestamp),
    'webhook-signature': KAT.signature,
  };

  it('both accept the published example and return the parsed body', async () => {
    expect(verifyWebhook({ secret: KAT.secret, headers, body: KAT.body, now: KAT_NOW })).toEqual({
      test: 2432232314,
    });
    await expect(clientVerify(KAT.secret, headers, KAT.body, { now: KAT_NOW })).resolves.toEqual({
      test: 2432232314,
    });
  });

  it('the client uses an injected Web Crypto (as Node 18 callers pass node:crypto webcrypto.subtle)', async () => {
    let calls = 0;
    const subtle = new Proxy(webcrypto.subtle, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    await expect(
      clientVerify(KAT.secret, headers, KAT.body, { now: KAT_NOW, subtle }),
    ).resolves.toEqual({ test: 2432232314 });
    expect(calls).toBeGreaterThan(0);
  });

  it('the client verifies what the server signs (string and byte bodies, Fetch Headers and Node header records)', async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({
      id: 'evt_3',
      type: 'call.recording_started',
      created_at: '2026-01-01T00:00:00.000Z',
    });
    const signed = signWebhook({ secret, id: 'evt_3', timestamp: 1_767_225_600, body });
    const now = new Date(1_767_225_600_000);
    await expect(clientVerify(secret, new Headers(signed), body, { now })).resolves.toMatchObject({
      id: 'evt_3',
    });
    await expect(
      clientVerify(secret, signed, new TextEncoder().encode(body), { now }),
    ).resolves.toMatchObject({ id: 'evt_3' });
    const upper = {
      'Webhook-Id': signed['webhook-id'],
      'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'],
      'webhook-signature': signed['webhook-signature'],
    };
    expect(verifyWebhook({ secret, headers: upper, body, now })).toMatchObject({
      type: 'call.recording_started',
    });
    expect(
      verifyWebhook({ secret, headers: new Headers(signed), body: Buffer.from(body), now }),
    ).toMatchObject({ id: 'evt_3' });
  });

  it.each([
    ['body', { body: KAT.body.replace('2432232314', '2432232315') }],
    ['id', { headers: { ...headers, 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJel' } }],
    ['timestamp', { headers: { ...headers, 'webhook-timestamp': String(KAT.timestamp + 1) } }],
    ['secret', { secret: generateWebhookSecret() }],
    [
      'signature',
      { headers: { ...headers, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') } },
    ],
    [
      'truncated signature',
      { headers: { ...headers, 'webhook-signature': KAT.signature.slice(0, 12) } },
    ],
    [
      'version (v2 instead of v1)',
      { headers: { ...headers, 'webhook-signature': KAT.signature.replace('v1,', 'v2,') } },
    ],
  ])(
    'a tampered %s is rejected with WEBHOOK_SIGNATURE_INVALID by both',
    async (_what, change: { body?: string; secret?: string; headers?: Record<string, string> }) => {
      const input = { secret: KAT.secret, headers, body: KAT.body, ...change };
      expect(codeOf(() => verifyWebhook({ ...input, now: KAT_NOW }))).toBe(
        'WEBHOOK_SIGNATURE_INVALID',
      );
      expect(
        await clientCodeOf(clientVerify(input.secret, input.headers, input.body, { now: KAT_NOW })),
      ).toBe('WEBHOOK_SIGNATURE_INVALID');
    },
  );

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'a missing %s header is WEBHOOK_SIGNATURE_INVALID naming the header',
    async (name) => {
      const partial: Record<string, string> = { ...headers };
      delete partial[name];
      expect(() =>
        verifyWebhook({ secret: KAT.secret, headers: partial, body: KAT.body, now: KAT_NOW }),
      ).toThrow(`missing ${name} header`);
      await expect(clientVerify(KAT.secret, partial, KAT.body, { now: KAT_NOW })).rejects.toThrow(
        `missing ${name} header`,
      );
      expect(
        await clientCodeOf(clientVerify(KAT.secret, partial, KAT.body, { now: KAT_NOW })),
      ).toBe('WEBHOOK_SIGNATURE_INVALID');
    },
  );

  it('accepts a timestamp exactly toleranceSeconds away either side and rejects one second beyond with WEBHOOK_TIMESTAMP_OUT_OF_RANGE', async () => {
    const at = (seconds: number) => new Date((KAT.timestamp + seconds) * 1000);
    for (const offset of [300, -300, 0]) {
      expect(
        verifyWebhook({ secret: KAT.secret, headers, body: KAT.body, now: at(offset) }),
      ).toEqual({ test: 2432232314 });
      await expect(
        clientVerify(KAT.secret, headers, KAT.body, { now: at(offset) }),
      ).resolves.toEqual({ test: 2432232314 });
    }
    for (const offset of [301, -301]) {
      expect(
        codeOf(() =>
          verifyWebhook({ secret: KAT.secret, headers, body: KAT.body, now: at(offset) }),
        ),
      ).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
      expect(
        await clientCodeOf(clientVerify(KAT.secret, headers, KAT.body, { now: at(offset) })),
      ).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
    }
    expect(
      verifyWebhook({
        secret: KAT.secret,
        headers,
        body: KAT.body,
        now: at(3600),
        toleranceSeconds: 3600,
      }),
    ).toEqual({ test: 2432232314 });
    expect(
      codeOf(() =>
        verifyWebhook({
          secret: KAT.secret,
          headers,
          body: KAT.body,
          now: at(11),
          toleranceSeconds: 10,
        }),
      ),
    ).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
    expect(() =>
      verifyWebhook({ secret: KAT.secret, headers, body: KAT.body, toleranceSeconds: -1 }),
    ).toThrow(/^toleranceSeconds must be/);
  });

  it('a webhook-timestamp that is not integer Unix seconds (text, fraction, negative, milliseconds) is WEBHOOK_TIMESTAMP_OUT_OF_RANGE', async () => {
    for (const value of ['hello', '1614265330.5', '-1614265330', String(KAT.timestamp * 1000)]) {
      const bad = { ...headers, 'webhook-timestamp': value };
      expect(
        codeOf(() =>
          verifyWebhook({ secret: KAT.secret, headers: bad, body: KAT.body, now: KAT_NOW }),
        ),
      ).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
      expect(await clientCodeOf(clientVerify(KAT.secret, bad, KAT.body, { now: KAT_NOW }))).toBe(
        'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      );
    }
  });

  it('with several signatures in the header, one valid among invalid and unknown-version ones is enough', async () => {
    const junk = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';
    const many = {
      ...headers,
      'webhook-signature': [
        junk,
        'v2,' + junk.slice(3),
        KAT.signature,
        'v1,not-base64!',
        junk,
      ].join(' '),
    };
    expect(
      verifyWebhook({ secret: KAT.secret, headers: many, body: KAT.body, now: KAT_NOW }),
    ).toEqual({ test: 2432232314 });
    await expect(clientVerify(KAT.secret, many, KAT.body, { now: KAT_NOW })).resolves.toEqual({
      test: 2432232314,
    });
  });

  it('during rotation a receiver holding only the old or only the new secret verifies a message signed with both', async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const now = new Date(1_700_000_000_000);
    const signed = signWebhook({
      secret: [newSecret, oldSecret],
      id: 'evt_4',
      timestamp: 1_700_000_000,
      body: '{"a":1}',
    });
    for (const secret of [oldSecret, newSecret]) {
      expect(verifyWebhook({ secret, headers: signed, body: '{"a":1}', now })).toEqual({ a: 1 });
      await expect(clientVerify(secret, signed, '{"a":1}', { now })).resolves.toEqual({ a: 1 });
    }
    // And a receiver configured with both accepts a message signed with just one.
    const single = signWebhook({
      secret: oldSecret,
      id: 'evt_5',
      timestamp: 1_700_000_000,
      body: '{"a":2}',
    });
    expect(
      verifyWebhook({ secret: [newSecret, oldSecret], headers: single, body: '{"a":2}', now }),
    ).toEqual({ a: 2 });
    await expect(clientVerify([newSecret, oldSecret], single, '{"a":2}', { now })).resolves.toEqual(
      { a: 2 },
    );
  });

  it('a correctly signed body that is not JSON: PARSE_ERROR on the server, WEBHOOK_PAYLOAD_INVALID in the client', async () => {
    const secret = generateWebhookSecret();
    const signed = signWebhook({ secret, id: 'evt_6', timestamp: 1_700_000_000, body: 'not json' });
    const now = new Date(1_700_000_000_000);
    expect(codeOf(() => verifyWebhook({ secret, headers: signed, body: 'not json', now }))).toBe(
      'PARSE_ERROR',
    );
    expect(await clientCodeOf(clientVerify(secret, signed, 'not json', { now }))).toBe(
      'WEBHOOK_PAYLOAD_INVALID',
    );
  });

  it('the client rejects a secret without the whsec_ prefix or with non-base64 text as WEBHOOK_SECRET_INVALID', async () => {
    expect(
      await clientCodeOf(clientVerify(KAT.secret.slice(6), headers, KAT.body, { now: KAT_NOW })),
    ).toBe('WEBHOOK_SECRET_INVALID');
    expect(await clientCodeOf(clientVerify('whsec_***', headers, KAT.body, { now: KAT_NOW }))).toBe(
      'WEBHOOK_SECRET_INVALID',
    );
    expect(await clientCodeOf(clientVerify([], headers, KAT.body, { now: KAT_NOW }))).toBe(
      'WEBHOOK_SECRET_INVALID',
    );
    const error = new TapedeckWebhookError('WEBHOOK_SIGNATURE_INVALID', 'x');
    expect([
      error.status,
      new TapedeckWebhookError('WEBHOOK_TIMESTAMP_OUT_OF_RANGE', 'x').status,
    ]).toEqual([401, 400]);
  });

  it('the catalog maps the new codes to HTTP statuses and marks them not retryable', () => {
    const e = new TapedeckError('WEBHOOK_SIGNATURE_INVALID', 'x');
    expect([e.status, e.retryable]).toEqual([401, false]);
    const t = new TapedeckError('WEBHOOK_TIMESTAMP_OUT_OF_RANGE', 'x');
    expect([t.status, t.retryable]).toEqual([400, false]);
  });
});
