/**
 * The service for real: createServer() on a real socket with fetch, and `node
 * bin/tapedeck.js serve` as a process stopped by SIGTERM (by its own PID). The process
 * test rebuilds dist/ first so the compiled CLI is the code under test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintServerToken } from '../../src/api/auth/tokens.js';
import { REPO_ROOT, runCliInProcess, runCliProcess } from '../e2e/support/cli-runner.js';
import { testServer } from './support.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  // tsc emits even when files other engineers are still writing fail to type-check.
  await promisify(execFile)(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: REPO_ROOT,
    },
  ).catch(() => undefined);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('createServer() on a socket', () => {
  it('listens on 127.0.0.1 port 0 and answers fetch with a server token', async () => {
    const { server, secret } = testServer();
    const url = await server.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/v1/whoami`, {
      headers: { authorization: `Bearer ${await mintServerToken(secret)}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ principal: { kind: 'server' } });
    expect((await fetch(`${url}/v1/whoami`)).status).toBe(401);
    await server.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

type Started = {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
};

function startServe(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/tapedeck.js'), 'serve'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TAPEDECK_API_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (s: string): void => {
      output += s;
      const match = /tapedeck listening on (http:\/\/\S+)\n/.exec(output);
      if (match?.[1] !== undefined) resolve({ child, url: match[1], output: () => output, exit });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    void exit.then((code) =>
      reject(new Error(`serve exited with ${code} before listening:\n${output}`)),
    );
  });
}

async function stop(started: Started): Promise<number | null> {
  process.kill(started.child.pid!, 'SIGTERM');
  return started.exit;
}

describe('tapedeck serve (a real process)', () => {
  it('prints the generated secret and a server token on the first start only, serves, and exits 0 on SIGTERM', async () => {
    const env = { TAPEDECK_DATA_DIR: dataDir, TAPEDECK_PORT: '0', TAPEDECK_HOST: '127.0.0.1' };
    const first = await startServe(env);
    const secret = (await readFile(path.join(dataDir, 'api-secret'), 'utf8')).trim();
    expect(first.output()).toContain(`API secret:   ${secret}`);
    const token = /server token: (\S+)/.exec(first.output())?.[1];
    const whoami = await fetch(`${first.url}/v1/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await whoami.json()).toEqual({ principal: { kind: 'server' } });
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    expect(await stop(first)).toBe(0);
    // Only the one line that shows it to the operator carries the secret; logs never do.
    expect(
      first
        .output()
        .split('\n')
        .filter((line) => line.includes(secret)),
    ).toEqual([`  API secret:   ${secret}`]);

    const second = await startServe(env);
    expect(second.output()).not.toContain(secret);
    expect(second.output()).not.toContain('server token');
    // `tapedeck token` reads the same stored secret.
    const minted = await runCliProcess(
      ['token', '--user', 'alice', '--ttl', '120', '--call', 'default:c1'],
      { env: { TAPEDECK_DATA_DIR: dataDir, TAPEDECK_API_SECRET: undefined } },
    );
    expect(minted.code).toBe(0);
    const asUser = await fetch(`${second.url}/v1/whoami`, {
      headers: { authorization: `Bearer ${minted.stdout.trim()}` },
    });
    expect(await asUser.json()).toEqual({
      principal: { kind: 'user', user_id: 'alice', call_cids: ['default:c1'] },
    });
    expect(await stop(second)).toBe(0);
    expect(second.output()).not.toContain(secret);
  });

  it('a bad configuration exits 2 with one INVALID_ARGUMENT line per bad setting', async () => {
    const run = await runCliProcess(['serve'], {
      env: { TAPEDECK_PORT: 'abc', TAPEDECK_RTP_PORT_MAX: '0', TAPEDECK_DATA_DIR: dataDir },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'INVALID_ARGUMENT: TAPEDECK_PORT must be an integer in 0..65535, got "abc"\n' +
        'INVALID_ARGUMENT: TAPEDECK_RTP_PORT_MAX must be an integer in 1..65535, got "0"\n',
    );
  });
});

describe('tapedeck token', () => {
  it('--server prints a server token signed with TAPEDECK_API_SECRET', async () => {
    const secret = randomBytes(32).toString('base64url');
    const saved = process.env['TAPEDECK_API_SECRET'];
    process.env['TAPEDECK_API_SECRET'] = secret;
    try {
      const run = await runCliInProcess(['token', '--server']);
      expect(run.code).toBe(0);
      const { verifyToken } = await import('../../src/api/auth/tokens.js');
      expect(await verifyToken(secret, run.stdout.trim())).toEqual({ kind: 'server' });
    } finally {
      if (saved === undefined) delete process.env['TAPEDECK_API_SECRET'];
      else process.env['TAPEDECK_API_SECRET'] = saved;
    }
  });

  it('needs exactly one of --server and --user, and a stored or configured secret', async () => {
    expect(await runCliInProcess(['token'])).toMatchObject({
      code: 2,
      stderr: 'INVALID_ARGUMENT: give exactly one of --server, --user <id>\n',
    });
    const empty = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
    try {
      const run = await runCliProcess(['token', '--server'], {
        env: { TAPEDECK_DATA_DIR: empty, TAPEDECK_API_SECRET: undefined },
      });
      expect(run.code).toBe(5);
      expect(run.stderr).toBe(
        `INPUT_NOT_FOUND: no API secret in ${empty}: start "tapedeck serve" once or set TAPEDECK_API_SECRET\n`,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
