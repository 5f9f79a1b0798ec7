/**
 * Starts Microsoft's Azure Blob emulator (azurite, from devDependencies) on a free
 * loopback port, in memory, and stops it by its own PID.
 *
 * ```text
 * node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort N --inMemoryPersistence
 *   --disableTelemetry --skipApiVersionCheck      (cwd: a temp dir; 3.35 refuses --location
 *   together with --inMemoryPersistence)
 * endpoint: http://127.0.0.1:N/devstoreaccount1   (well-known dev account and key)
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from './free-port.js';

/** The emulator's documented development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** The emulator's documented development key (public; not a secret). */
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export type AzuriteOptions = {
  /** PEM files: serve HTTPS (needed for bearer tokens). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Accept Entra-shaped bearer tokens (`--oauth basic`: issuer, audience and lifetime checked, signature not). */
  readonly oauth?: boolean;
};

export type AzuriteServer = {
  /** `http(s)://127.0.0.1:<port>/devstoreaccount1` */
  readonly blobEndpoint: string;
  readonly port: number;
  stop(): Promise<void>;
};

const BIN = fileURLToPath(new URL('../../node_modules/.bin/azurite-blob', import.meta.url));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
  const location = await fs.mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const port = await freeLoopbackPort();
  const child = spawn(
    BIN,
    [
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--silent',
      ...(options.tls ? ['--cert', options.tls.certFile, '--key', options.tls.keyFile] : []),
      ...(options.oauth ? ['--oauth', 'basic'] : []),
    ],
    // azurite 3.35 refuses --location together with --inMemoryPersistence; running in a
    // temp dir keeps anything it might write out of the checkout.
    { cwd: location, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const scheme = options.tls ? 'https' : 'http';
  const blobEndpoint = `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
    }
    await exited(child);
    await fs.rm(location, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`azurite-blob did not start on port ${port}: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { blobEndpoint, port, stop };
}
