/**
 * Ingest benchmark: N concurrent synthetic RTP streams over loopback into one tapedeck
 * server, against a raw `node:dgram` receiver that only counts packets (same sender, same
 * run). Half the streams are Opus-like (50 packets/s, 80-byte payloads), half VP8-like
 * (30 fps × 4 packets, ~1,100 bytes). Three processes per step, so that CPU is counted
 * where it is spent:
 *
 *   main (this file)  ──spawns──▶ server  (tapedeck startService, or the dgram baseline)
 *                     ──spawns──▶ sender  (paced RTP over loopback)
 *
 * The server's CPU is utime + stime from /proc/<pid>/stat over the send window; packets
 * recorded are the rise of `tapedeck_packets_written_total{kind="rtp"}` on /metrics
 * (packets handed to the recorder's spool). Each server is killed after its step and its
 * data dir removed (finalizing hundreds of tracks' archives is not what is measured).
 *
 * Run alone with `npm run bench -- --ingest-only`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TapedeckClient } from '../packages/client/src/index.js';

const self = fileURLToPath(import.meta.url);
const SEND_SECONDS = 3;
const DRAIN_MS = 700;
/** `BENCH_STREAMS=1200,1600` runs only those steps (e.g. to profile one). */
const STREAM_COUNTS: readonly number[] = process.env['BENCH_STREAMS']?.split(',').map(Number) ?? [
  100, 400, 800, 1200, 1600,
];
const LOSS_THRESHOLD = 0.001; // 0.1 %
const CLK_TCK = 100;

/** One stream the sender paces: video = 30 fps × `videoPacketsPerFrame` (default 4: 3 × 1,100 B + 700 B). */
export type Target = {
  readonly port: number;
  readonly video: boolean;
  readonly videoPacketsPerFrame?: number;
  /** Payload bytes of every video packet (default 1,100, the frame's last 700). */
  readonly videoBytes?: number;
  /** Payload bytes of audio packets. Default 80. */
  readonly audioBytes?: number;
};

export const OPUS_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 5004 RTP/AVP 111',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');
export const VP8_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=video 5006 RTP/AVP 96',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

// ───────────────────────────── child roles ─────────────────────────────

/** The tapedeck server; prints its URL, runs until killed. */
async function serverRole(dataDir: string, secret: string): Promise<void> {
  const { startService } = await import('../src/api/start-service.js');
  const service = await startService({
    env: {
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_RTP_HOST: '127.0.0.1',
      TAPEDECK_LOG_LEVEL: 'silent',
    },
  });
  if (process.env['BENCH_CPU_PROF'] !== undefined) process.once('SIGUSR2', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
}

/** The baseline: N sockets that only count; prints ports, then the count on each stdin line. */
async function baselineRole(count: number): Promise<void> {
  let received = 0;
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => {
      received++;
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    ports.push(socket.address().port);
  }
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
  createInterface({ input: process.stdin }).on('line', () => {
    process.stdout.write(`${JSON.stringify({ received })}\n`);
  });
}

/** Paced sender: every 5 ms, sends each stream the packets its rate owes; prints the total. */
async function senderRole(targets: readonly Target[], seconds: number): Promise<void> {
  const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 2 ** 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const payload = randomBytes(1200);
  const streams = targets.map((t, i) => ({
    ...t,
    ssrc: (0x1000_0000 + i) >>> 0,
    seq: 0,
    ts: 0,
    owed: 0,
  }));
  let sent = 0;
  let failed = 0;
  const done = (error: Error | null): void => {
    if (error === null) sent++;
    else failed++;
  };
  const packet = (
    s: (typeof streams)[number],
    marker: boolean,
    size: number,
    first: boolean,
  ): Buffer => {
    const b = Buffer.allocUnsafe(12 + size);
    b[0] = 0x80;
    b[1] = ((marker ? 0x80 : 0) | (s.video ? 96 : 111)) >>> 0;
    b.writeUInt16BE(s.seq, 2);
    b.writeUInt32BE(s.ts >>> 0, 4);
    b.writeUInt32BE(s.ssrc, 8);
    payload.copy(b, 12, 0, size);
    if (s.video) {
      b[12] = first ? 0x10 : 0x00; // VP8 descriptor: S bit on a frame's first packet
      if (first) b[13] = 0x01; // inter frame (P = 1)
    }
    s.seq = (s.seq + 1) & 0xffff;
    return b;
  };
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = Math.min(performance.now(), end);
      const elapsed = (now - start) / 1000;
      for (const s of streams) {
        const units = Math.floor(elapsed * (s.video ? 30 : 50)); // frames owed so far
        while (s.owed < units) {
          s.owed++;
          if (s.video) {
            const perFrame = s.videoPacketsPerFrame ?? 4;
            for (let p = 0; p < perFrame; p++) {
              const last = p === perFrame - 1;
              const size = s.videoBytes ?? (last ? 700 : 1100);
              const b = packet(s, last, size, p === 0);
              socket.send(b, s.port, '127.0.0.1', done);
            }
            s.ts += 3000;
          } else {
            socket.send(packet(s, false, s.audioBytes ?? 80, false), s.port, '127.0.0.1', done);
            s.ts += 960;
          }
        }
      }
      if (now >= end) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 200)); // send callbacks
  process.stdout.write(`${JSON.stringify({ sent, failed })}\n`);
  socket.close();
}

// ───────────────────────────── orchestration ─────────────────────────────

/** `BENCH_CPU_PROF=<dir>`: the tapedeck servers run under `node --cpu-prof` (profiles in <dir>). */
const CPU_PROF_DIR = process.env['BENCH_CPU_PROF'];

/** Runs a role of `script` (default this file) in a child process; its stdout as lines. */
export function spawnBenchRole(
  args: readonly string[],
  script: string = self,
): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const profile =
    CPU_PROF_DIR !== undefined && args[0] === 'server'
      ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`]
      : [];
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return { proc, lines };
}

export async function nextJson<T>(lines: AsyncIterator<string>, what: string): Promise<T> {
  const line = await lines.next();
  if (line.done === true) throw new Error(`${what} exited before reporting`);
  return JSON.parse(line.value) as T;
}

export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
}

export async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // A profiled server exits on SIGUSR2 (so its profile is written); otherwise SIGKILL.
  proc.kill(CPU_PROF_DIR !== undefined ? 'SIGUSR2' : 'SIGKILL');
  await exited;
}

/** Runs the paced sender for `seconds`; resolves with the packets it sent. */
export async function runSender(targets: readonly Target[], seconds: number): Promise<number> {
  const sender = spawnBenchRole(['sender', JSON.stringify({ targets, seconds })]);
  const { sent } = await nextJson<{ sent: number }>(sender.lines, 'sender');
  await new Promise((resolve) => sender.proc.once('exit', resolve));
  return sent;
}

export type IngestStep = {
  readonly streams: number;
  readonly sent: number;
  readonly recorded: number;
  readonly loss: number;
  readonly packetsPerSecond: number;
  /** Server CPU seconds per wall second (1.0 = one core). */
  readonly cores: number;
};

function step(streams: number, sent: number, recorded: number, cpu: number): IngestStep {
  return {
    streams,
    sent,
    recorded,
    loss: sent === 0 ? 0 : Math.max(0, sent - recorded) / sent,
    packetsPerSecond: recorded / SEND_SECONDS,
    cores: cpu / (SEND_SECONDS + DRAIN_MS / 1000),
  };
}

export async function writtenRtp(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^tapedeck_packets_written_total\{kind="rtp"\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

async function tapedeckStep(streams: number): Promise<IngestStep> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const secret = randomBytes(32).toString('base64url');
  const server = spawnBenchRole(['server', dataDir, secret]);
  try {
    const { url } = await nextJson<{ url: string }>(server.lines, 'server');
    const client = new TapedeckClient({ baseUrl: url, apiSecret: secret });
    await client.updateCallType('bench', { settings: { raw_recording: { mode: 'available' } } });
    const call = client.call('bench', `ingest-${streams}`);
    await call.getOrCreate();
    const targets: Target[] = [];
    for (let i = 0; i < streams; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, streams - i) }, async (_, j) => {
          const video = (i + j) % 2 === 1;
          const track = await call.addRtpTrack({
            user_id: `u${(i + j) >> 1}`,
            session_id: `s${(i + j) >> 1}`,
            track_type: video ? 'video' : 'audio',
            sdp: video ? VP8_SDP : OPUS_SDP,
          });
          return { port: track.rtp.port, video };
        }),
      );
      targets.push(...batch);
    }
    await call.startRecording('raw');
    const before = await writtenRtp(url);
    const cpu0 = await cpuSeconds(server.proc.pid!);
    const sent = await runSender(targets, SEND_SECONDS);
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const cpu1 = await cpuSeconds(server.proc.pid!);
    const recorded = (await writtenRtp(url)) - before;
    return step(streams, sent, recorded, cpu1 - cpu0);
  } finally {
    await kill(server.proc);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function baselineStep(streams: number): Promise<IngestStep> {
  const receiver = spawnBenchRole(['baseline', String(streams)]);
  try {
    const { ports } = await nextJson<{ ports: number[] }>(receiver.lines, 'baseline receiver');
    const targets = ports.map((port, i) => ({ port, video: i % 2 === 1 }));
    const cpu0 = await cpuSeconds(receiver.proc.pid!);
    const sent = await runSender(targets, SEND_SECONDS);
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const cpu1 = await cpuSeconds(receiver.proc.pid!);
    receiver.proc.stdin!.write('count\n');
    const { received } = await nextJson<{ received: number }>(receiver.lines, 'baseline receiver');
    return step(streams, sent, received, cpu1 - cpu0);
  } finally {
    await kill(receiver.proc);
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const kpps = (x: number): string => `${(x / 1000).toFixed(1)} k/s`;
const ratio = (a: number, b: number): string => (b === 0 ? '—' : (a / b).toFixed(2));

function row(cells: readonly string[]): string {
  return `${cells[0]!.padEnd(9)}${cells
    .slice(1)
    .map((c) => c.padStart(13))
    .join('')}\n`;
}

/** Runs every step and returns the printable report. */
export async function runIngestBench(): Promise<string> {
  const results: { td: IngestStep; base: IngestStep }[] = [];
  for (const n of STREAM_COUNTS) {
    process.stderr.write(`ingest: ${n} streams…\n`);
    const td = await tapedeckStep(n);
    const base = await baselineStep(n);
    results.push({ td, base });
  }
  let out = `\ningest: N RTP streams over loopback for ${SEND_SECONDS} s (half Opus 50 pkt/s × 92 B, half VP8 30 fps × 4 pkt ≈ 1,100 B)\n`;
  out += `baseline: node:dgram receiver that only counts, same sender, same run; ratio = tapedeck/baseline\n`;
  out += row([
    'streams',
    'sent pkt/s',
    'td rec pkt/s',
    'td loss',
    'base loss',
    'td cores',
    'base cores',
    'cpu ratio',
    'td cpu/1k st',
  ]);
  for (const { td, base } of results) {
    out += row([
      String(td.streams),
      kpps(td.sent / SEND_SECONDS),
      kpps(td.packetsPerSecond),
      pct(td.loss),
      pct(base.loss),
      td.cores.toFixed(2),
      base.cores.toFixed(2),
      ratio(td.cores, base.cores),
      `${((td.cores / td.streams) * 1000).toFixed(2)} core`,
    ]);
  }
  const firstLoss = results.find(({ td }) => td.loss > LOSS_THRESHOLD)?.td;
  const clean = results.filter(({ td }) => td.loss <= LOSS_THRESHOLD).map(({ td }) => td);
  const best = clean.reduce<IngestStep | undefined>(
    (a, b) => (a === undefined || b.packetsPerSecond > a.packetsPerSecond ? b : a),
    undefined,
  );
  out +=
    best === undefined
      ? `no step recorded without loss (> ${pct(LOSS_THRESHOLD)})\n`
      : `highest rate recorded without loss (≤ ${pct(LOSS_THRESHOLD)}): ${kpps(best.packetsPerSecond)} at ${best.streams} streams, ${best.cores.toFixed(2)} cores\n`;
  out +=
    firstLoss === undefined
      ? `loss did not begin up to ${STREAM_COUNTS.at(-1)} streams\n`
      : `loss begins at ${firstLoss.streams} streams (${kpps(firstLoss.sent / SEND_SECONDS)} sent, ${pct(firstLoss.loss)} lost)\n`;
  out += `target: ≥ 100 k packets/s recorded without loss on one core (WHIP publishers per core: bench/whip.ts).\n`;
  out += `(the sender, a separate process, shares the machine's ${os.availableParallelism()} cores; "recorded" = packets handed to the recorder's spool)\n`;
  return out;
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'server') await serverRole(rest[0]!, rest[1]!);
else if (role === 'baseline') await baselineRole(Number(rest[0]));
else if (role === 'sender') {
  const { targets, seconds } = JSON.parse(rest[0]!) as { targets: Target[]; seconds: number };
  await senderRole(targets, seconds);
} else if (process.argv[1] === self) process.stdout.write(await runIngestBench());
