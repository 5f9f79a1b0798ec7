/**
 * The API secret: `TAPEDECK_API_SECRET` when configured, else `<dataDir>/api-secret`,
 * generated on first start (32 random bytes, base64url), written with mode 0600 under a
 * temporary name and linked into place (so two starts at once agree on one secret).
 * The secret is returned to the caller and never logged here.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TapedeckError } from '../errors.js';
import type { TapedeckConfig } from './config.js';

export const API_SECRET_FILE = 'api-secret';

export type ApiSecret = {
  readonly secret: string;
  /** `config`: from the configuration; `file`: read from the data directory; `generated`: created by this call. */
  readonly source: 'config' | 'file' | 'generated';
};

type SecretConfig = Pick<TapedeckConfig, 'dataDir' | 'apiSecret'>;

/** The path of the stored secret. */
export function apiSecretPath(config: Pick<TapedeckConfig, 'dataDir'>): string {
  return path.join(config.dataDir, API_SECRET_FILE);
}

/** The configured or stored secret; generates and stores one when there is none. */
export async function ensureApiSecret(config: SecretConfig): Promise<ApiSecret> {
  const existing = await readApiSecret(config);
  if (existing !== undefined) return existing;
  const file = apiSecretPath(config);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file); // fails with EEXIST when another start won the race
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readApiSecret(config);
    if (winner !== undefined) return winner;
    throw error;
  } finally {
    await unlink(temp);
  }
  return { secret, source: 'generated' };
}

/** The configured or stored secret, or `undefined` when none exists yet. */
export async function readApiSecret(config: SecretConfig): Promise<ApiSecret | undefined> {
  if (config.apiSecret !== undefined) return { secret: config.apiSecret, source: 'config' };
  const file = apiSecretPath(config);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TapedeckError(
      'INVALID_ARGUMENT',
      `cannot read the API secret file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
  const secret = text.trim();
  if (secret === '' || /\s/.test(secret)) {
    throw new TapedeckError(
      'INVALID_ARGUMENT',
      `the API secret file ${file} is empty or malformed; remove it to generate a new one`,
    );
  }
  return { secret, source: 'file' };
}

/** The configured or stored secret; fails with a hint when the service never started. */
export async function requireApiSecret(config: SecretConfig): Promise<ApiSecret> {
  const found = await readApiSecret(config);
  if (found !== undefined) return found;
  throw new TapedeckError(
    'INPUT_NOT_FOUND',
    `no API secret in ${config.dataDir}: start "tapedeck serve" once or set TAPEDECK_API_SECRET`,
  );
}
