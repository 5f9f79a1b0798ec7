/**
 * A single-node OpenStack Swift with its S3 API (s3api + tempauth) for tests: a real object
 * store that verifies SigV4 signatures and builds real multipart ETags.
 *
 * ```text
 * S3 client ──▶ proxy-server (s3api, tempauth, cache) ──▶ account · container · object servers
 *                      │                                          (one device each, 127.0.0.1)
 *                      └──▶ memcached (own port)      logs ──UDP syslog──▶ this process
 * ```
 *
 * Everything lives in a temp dir (configs, rings, the device) and binds 127.0.0.1 on free
 * ports; `stop()` ends exactly the processes this helper spawned, by PID. Needs the Debian
 * packages `swift swift-proxy swift-account swift-container swift-object python3-swift
 * memcached` (scripts/install-test-deps.sh); a missing binary is a clear error, never a skip.
 * Swift reads its hash suffix and storage policies from `/etc/swift/swift.conf`, which the
 * `swift` package installs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { access, constants, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from './free-port.js';
import { registerSecret } from './test-secrets.js';

/** tempauth's `user_test_tester = <key> .admin`: the S3 access key; the key (secret) is generated per run. */
export const SWIFT_ACCESS_KEY_ID = 'test:tester';

export type RunningSwift = {
  /** `http://127.0.0.1:<proxy port>`; path-style addressing, region us-east-1. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Proxy access-log lines received so far (syslog over UDP), e.g. `… PUT /v1/AUTH_test/b/k …`. */
  readonly proxyLog: readonly string[];
  stop(): Promise<void>;
};

const BINARIES = [
  'swift-proxy-server',
  'swift-account-server',
  'swift-container-server',
  'swift-object-server',
  'memcached',
] as const;
const PACKAGES =
  'swift swift-proxy swift-account swift-container swift-object python3-swift memcached';
const SERVERS = ['account', 'container', 'object'] as const;
const PIPELINE =
  'catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server';
const START_TIMEOUT_MS = 30_000;
/**
 * What `swift-ring-builder <kind>.builder create 10 1 1; add r1z1-127.0.0.1:<port>/d1 1;
 * rebalance` does, for the three rings in one Python start (the CLI takes ~1.5 s per call).
 */
const RING_SCRIPT = `
import sys
from swift.common.ring import RingBuilder
out = sys.argv[1]
for spec in sys.argv[2:]:
    kind, port = spec.split(':')
    builder = RingBuilder(10, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
                     'replication_ip': '127.0.0.1', 'replication_port': int(port),
                     'device': 'd1', 'weight': 1, 'meta': ''})
    builder.rebalance()
    builder.get_ring().save('%s/%s.ring.gz' % (out, kind))
`;

async function findBinary(name: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '')
    .split(path.delimiter)
    .concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    `swift-server: '${name}' not found on PATH; install the Debian packages: ${PACKAGES} (scripts/install-test-deps.sh does)`,
  );
}

/** The interpreter Swift's own scripts run with (their shebang), so `import swift` works. */
async function swiftPython(script: string): Promise<string> {
  const head = (await readFile(script, 'utf8')).slice(0, 200);
  const match = /^#!\s*(\S+)/.exec(head);
  if (match?.[1] === undefined) throw new Error(`swift-server: ${script} has no #! line`);
  return match[1];
}

function run(
  file: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

function serverConf(
  dir: string,
  kind: (typeof SERVERS)[number],
  port: number,
  logPort: number,
): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
devices = ${path.join(dir, 'srv')}
mount_check = false
swift_dir = ${dir}
log_udp_host = 127.0.0.1
log_udp_port = ${logPort}
log_name = ${kind}-server

[pipeline:main]
pipeline = healthcheck ${kind}-server

[filter:healthcheck]
use = egg:swift#healthcheck

[app:${kind}-server]
use = egg:swift#${kind}
`;
}

function proxyConf(
  dir: string,
  port: number,
  memcachedPort: number,
  logPort: number,
  secret: string,
): string {
  const filters = PIPELINE.split(' ').filter(
    (f) => f !== 'proxy-server' && !['cache', 's3api', 'tempauth'].includes(f),
  );
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}
log_udp_host = 127.0.0.1
log_udp_port = ${logPort}
log_name = proxy-server

[pipeline:main]
pipeline = ${PIPELINE}

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachedPort}

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = ${secret} .admin

${[...new Set(filters)].map((f) => `[filter:${f}]\nuse = egg:swift#${f.replace(/-/g, '_')}\n`).join('\n')}`;
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  alive: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const dead = alive();
    if (dead !== undefined)
      throw new Error(`swift-server: ${dead} exited while waiting for ${what}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`swift-server: ${what} not ready after ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/healthcheck`);
  await response.arrayBuffer();
  return response.status === 200;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Builds rings and configs in a fresh temp dir, starts memcached and the four Swift servers. */
export async function startSwift(): Promise<RunningSwift> {
  // tempauth keys are alphanumeric; a fresh one per run, never a real secret.
  const secret = registerSecret(randomBytes(18).toString('hex'));
  const bin = new Map<string, string>();
  for (const name of BINARIES) bin.set(name, await findBinary(name));
  try {
    await access('/etc/swift/swift.conf', constants.R_OK);
  } catch {
    throw new Error(
      `swift-server: /etc/swift/swift.conf is missing (the Debian 'swift' package installs it); install: ${PACKAGES}`,
    );
  }

  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-swift-'));
  const children: ChildProcess[] = [];
  const proxyLog: string[] = [];
  const logSocket = createSocket('udp4');
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    await new Promise<void>((resolve) => logSocket.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      logSocket.once('error', reject);
      logSocket.bind(0, '127.0.0.1', () => resolve());
    });
    logSocket.on('message', (msg) => {
      const line = msg.toString();
      if (line.includes('proxy-server')) proxyLog.push(line);
    });
    const logPort = logSocket.address().port;
    await mkdir(path.join(dir, 'srv', 'd1'), { recursive: true });
    const ports = {
      proxy: await freeLoopbackPort(),
      account: await freeLoopbackPort(),
      container: await freeLoopbackPort(),
      object: await freeLoopbackPort(),
      memcached: await freeLoopbackPort(),
    };

    const python = await swiftPython(bin.get('swift-proxy-server')!);
    const rings = await run(
      python,
      ['-c', RING_SCRIPT, dir, ...SERVERS.map((kind) => `${kind}:${ports[kind]}`)],
      dir,
    );
    if (rings.code !== 0)
      throw new Error(
        `swift-server: building the rings failed (${rings.code}): ${rings.output.trim()}`,
      );
    for (const kind of SERVERS) {
      await writeFile(
        path.join(dir, `${kind}-server.conf`),
        serverConf(dir, kind, ports[kind], logPort),
      );
    }
    await writeFile(
      path.join(dir, 'proxy-server.conf'),
      proxyConf(dir, ports.proxy, ports.memcached, logPort, secret),
    );

    const logFile = await open(path.join(dir, 'servers.log'), 'a');
    const exited: string[] = [];
    const launch = (name: string, args: readonly string[]): void => {
      const child = spawn(bin.get(name)!, args, {
        cwd: dir,
        stdio: ['ignore', logFile.fd, logFile.fd],
      });
      child.once('exit', (code, signal) => exited.push(`${name} (${signal ?? code})`));
      child.once('error', (error) => exited.push(`${name} (${error.message})`));
      children.push(child);
    };
    const memcachedArgs = ['-l', '127.0.0.1', '-p', String(ports.memcached), '-U', '0'];
    if (process.getuid?.() === 0) memcachedArgs.push('-u', 'nobody');
    launch('memcached', memcachedArgs);
    for (const kind of SERVERS)
      launch(`swift-${kind}-server`, [path.join(dir, `${kind}-server.conf`)]);
    launch('swift-proxy-server', [path.join(dir, 'proxy-server.conf')]);
    await logFile.close();

    const alive = (): string | undefined => exited[0];
    await waitFor('memcached', () => tcpOpen(ports.memcached), alive);
    for (const kind of ['account', 'container', 'object', 'proxy'] as const) {
      await waitFor(`swift ${kind} server`, () => healthy(ports[kind]), alive);
    }
    return {
      endpoint: `http://127.0.0.1:${ports.proxy}`,
      accessKeyId: SWIFT_ACCESS_KEY_ID,
      secretAccessKey: secret,
      proxyLog,
      stop,
    };
  } catch (error) {
    const log = await readFile(path.join(dir, 'servers.log'), 'utf8').catch(() => '');
    await stop();
    const tail = log.trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}${tail ? `\n--- server output ---\n${tail}` : ''}`,
      { cause: error },
    );
  }
}
