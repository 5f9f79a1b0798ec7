import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintServerToken, mintUserToken, verifyToken } from '../../src/api/auth/tokens.js';

const secret = randomBytes(32).toString('base64url');
const now = Math.floor(Date.now() / 1000);

describe('tokens', () => {
  it('verifyToken() on a server token gives the server principal', async () => {
    expect(await verifyToken(secret, await mintServerToken(secret))).toEqual({ kind: 'server' });
  });

  it('verifyToken() on a user token gives its user id and call ids', async () => {
    const token = await mintUserToken(secret, {
      userId: 'alice',
      ttlSeconds: 60,
      callCids: ['default:abc'],
    });
    expect(await verifyToken(secret, token)).toEqual({
      kind: 'user',
      userId: 'alice',
      callCids: ['default:abc'],
    });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(payload).toMatchObject({ user_id: 'alice', call_cids: ['default:abc'] });
    expect(payload.exp - payload.iat).toBe(60);
  });

  it('verifyToken() rejects an expired token, a token signed with another secret, and garbage as UNAUTHENTICATED', async () => {
    const expired = await mintUserToken(secret, {
      userId: 'bob',
      ttlSeconds: 10,
      nowSeconds: now - 3600,
    });
    await expect(verifyToken(secret, expired)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'token expired',
    });
    const other = await mintServerToken(randomBytes(32).toString('base64url'));
    await expect(verifyToken(secret, other)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'token signature does not match the API secret',
    });
    await expect(verifyToken(secret, 'not.a.jwt')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'token is not a valid JWT',
    });
  });

  it('verifyToken() rejects an unsigned (alg: none) token claiming server: true', async () => {
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ server: true })}.`;
    await expect(verifyToken(secret, unsigned)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('mintUserToken() names the bad option', async () => {
    await expect(mintUserToken(secret, { userId: '', ttlSeconds: 60 })).rejects.toThrow(
      new TypeError('options.userId must be a non-empty string'),
    );
    await expect(mintUserToken(secret, { userId: 'a', ttlSeconds: 0 })).rejects.toThrow(
      new RangeError('options.ttlSeconds must be a positive integer, got 0'),
    );
    await expect(
      mintUserToken(secret, { userId: 'a', ttlSeconds: 1, callCids: ['nocolon'] }),
    ).rejects.toThrow(
      new TypeError('options.callCids entries must look like "type:id", got "nocolon"'),
    );
  });
});
