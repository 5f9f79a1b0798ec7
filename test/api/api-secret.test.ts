import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  apiSecretPath,
  ensureApiSecret,
  readApiSecret,
  requireApiSecret,
} from '../../src/config/api-secret.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ensureApiSecret()', () => {
  it('generates 32 random bytes (base64url) on first start, stored with mode 0600, and reads them back later', async () => {
    const dataDir = path.join(root, 'data', 'nested');
    const first = await ensureApiSecret({ dataDir });
    expect(first.source).toBe('generated');
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.secret, 'base64url')).toHaveLength(32);
    const file = apiSecretPath({ dataDir });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.secret);

    const second = await ensureApiSecret({ dataDir });
    expect(second).toEqual({ secret: first.secret, source: 'file' });
  });

  it('leaves no temporary file behind', async () => {
    await ensureApiSecret({ dataDir: root });
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(root)).toEqual(['api-secret']);
  });

  it('concurrent first starts agree on one secret', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => ensureApiSecret({ dataDir: root })),
    );
    expect(new Set(results.map((r) => r.secret)).size).toBe(1);
    expect(results.filter((r) => r.source === 'generated')).toHaveLength(1);
  });

  it('a configured secret wins and nothing is written', async () => {
    const apiSecret = 'c'.repeat(40);
    expect(await ensureApiSecret({ dataDir: root, apiSecret })).toEqual({
      secret: apiSecret,
      source: 'config',
    });
    expect(await readApiSecret({ dataDir: root })).toBeUndefined();
  });

  it('an empty secret file is an error naming the file, not a silent regeneration', async () => {
    await writeFile(path.join(root, 'api-secret'), '\n');
    await expect(ensureApiSecret({ dataDir: root })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `the API secret file ${path.join(root, 'api-secret')} is empty or malformed; remove it to generate a new one`,
    });
  });
});

describe('requireApiSecret()', () => {
  it('fails with a hint when the service never started', async () => {
    await expect(requireApiSecret({ dataDir: root })).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
      message: `no API secret in ${root}: start "tapedeck serve" once or set TAPEDECK_API_SECRET`,
    });
  });
});
