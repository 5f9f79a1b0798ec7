/**
 * WHIP publishers per core: N werift peers (in one child process) each publish Opus-like
 * audio (50 packets/s, 80-byte payloads) and VP8-like video (30 fps, one ~1,000-byte
 * packet per frame) over WHIP into one tapedeck server, recorded in an `auto-on` call.
 * Then the same packets (N audio + N video streams at the same rates and sizes) over plain
 * RTP/UDP into a fresh server: the baseline. Processes, so CPU is counted where it is spent:
 *
 *   main (this file) ──spawns──▶ server      (bench/ingest.ts `server` role)
 *                    ──spawns──▶ publishers  (werift peers: DTLS-SRTP, paced RTP)
 *
 * N grows until packets are lost or the server uses a core (or the time budget ends).
 * Server CPU is utime + stime over the send window; "recorded" is the rise of
 * `tapedeck_packets_written_total{kind="rtp"}`.
 *
 * Run alone with `npm run bench -- --whip-only`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TapedeckClient } from '../packages/client/src/index.js';
import {
  cpuSeconds,
  kill,
  nextJson,
  OPUS_SDP,
  VP8_SDP,
  runSender,
  spawnBenchRole,
  writtenRtp,
  type Target,
} from './ingest.js';

const self = fileURLToPath(import.meta.url);
const SEND_SECONDS = 4;
/** Sent first and not counted: every track has joined the recording by its end. */
const WARM_UP_SECONDS = 1;
const DRAIN_MS = 700;
const PUBLISHER_COUNTS = [50, 100, 150, 200, 250] as const;
const LOSS_THRESHOLD = 0.001;
/** The whole measurement stops growing N after this long. */
const BUDGET_MS = 85_000;
const AUDIO_PPS = 50;
const VIDEO_FPS = 30;
const AUDIO_BYTES = 80;
const VIDEO_BYTES = 1000;

// ───────────────────────────── publishers (child) ─────────────────────────────

/**
 * Connects `count` werift peers to `base`/whip/bench/<call>, prints `{ready}`, sends for
 * the seconds named on the next stdin line, prints `{sent}`, then DELETEs and exits.
 */
async function publishersRole(
  base: string,
  token: string,
  call: string,
  count: number,
): Promise<void> {
  const { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } = await import('werift');
  type Peer = {
    pc: InstanceType<typeof RTCPeerConnection>;
    audio: InstanceType<typeof MediaStreamTrack>;
    video: InstanceType<typeof MediaStreamTrack>;
    location: string;
    audioSeq: number;
    videoSeq: number;
    audioTs: number;
    videoTs: number;
  };
  const connect = async (i: number): Promise<Peer> => {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      bundlePolicy: 'max-bundle',
    });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    const video = new MediaStreamTrack({ kind: 'video' });
    pc.addTransceiver(audio, { direction: 'sendonly' });
    pc.addTransceiver(video, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        pc.iceGatheringStateChange.subscribe((state) => {
          if (state === 'complete') resolve();
        });
      });
    }
    let response: Response;
    // Session setup is not what is measured: a busy server's 503 is retried after a pause.
    for (let attempt = 1; ; attempt++) {
      response = await fetch(`${base}/whip/bench/${call}?user_id=p${i}&session_id=s${i}`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      if (response.status === 201) break;
      const text = await response.text();
      if (response.status !== 503 || attempt === 3)
        throw new Error(`WHIP POST ${response.status}: ${text}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const location = response.headers.get('location')!;
    const connected = new Promise<void>((resolve, reject) => {
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') resolve();
        if (state === 'failed') reject(new Error(`peer ${i}: connection failed`));
      });
    });
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    if (pc.connectionState !== 'connected') {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`peer ${i}: not connected after 30 s`)), 30_000);
      });
      await Promise.race([connected, timeout]).finally(() => clearTimeout(timer));
    }
    return { pc, audio, video, location, audioSeq: 0, videoSeq: 0, audioTs: 0, videoTs: 0 };
  };
  const peers: Peer[] = [];
  const BATCH = 5;
  for (let i = 0; i < count; i += BATCH) {
    peers.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => connect(i + j)),
      )),
    );
  }
  process.stdout.write(`${JSON.stringify({ ready: peers.length })}\n`);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const payload = randomBytes(VIDEO_BYTES);
  const audioPayload = payload.subarray(0, AUDIO_BYTES);
  const videoPayload = Buffer.from(payload);
  videoPayload[0] = 0x10; // VP8 descriptor: S bit, partition 0
  videoPayload[1] = 0x01; // inter frame
  const rtp = (
    seq: number,
    ts: number,
    data: Buffer,
    marker: boolean,
  ): InstanceType<typeof RtpPacket> => {
    const header = new RtpHeader();
    header.sequenceNumber = seq;
    header.timestamp = ts >>> 0;
    header.marker = marker;
    return new RtpPacket(header, data);
  };
  /** Paces every peer's audio and video for `seconds`; resolves with the packets sent. */
  const sendFor = async (seconds: number): Promise<number> => {
    let sent = 0;
    const owed = peers.map(() => ({ audio: 0, video: 0 }));
    const start = performance.now();
    const end = start + seconds * 1000;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = Math.min(performance.now(), end);
        const elapsed = (now - start) / 1000;
        const audioUnits = Math.floor(elapsed * AUDIO_PPS);
        const videoUnits = Math.floor(elapsed * VIDEO_FPS);
        peers.forEach((peer, i) => {
          const o = owed[i]!;
          while (o.audio < audioUnits) {
            o.audio++;
            peer.audioSeq = (peer.audioSeq + 1) & 0xffff;
            peer.audio.writeRtp(rtp(peer.audioSeq, (peer.audioTs += 960), audioPayload, false));
            sent++;
          }
          while (o.video < videoUnits) {
            o.video++;
            peer.videoSeq = (peer.videoSeq + 1) & 0xffff;
            peer.video.writeRtp(rtp(peer.videoSeq, (peer.videoTs += 3000), videoPayload, true));
            sent++;
          }
        });
        if (now >= end) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
    return sent;
  };
  // Each stdin line names seconds to send for (the first one warms up: tracks join the call
  // on their first packet and the auto-on recording starts then); each answers `{sent}`.
  for (let line = await lines.next(); line.done !== true; line = await lines.next()) {
    const seconds = Number(line.value);
    if (!(seconds > 0)) break;
    const sent = await sendFor(seconds);
    process.stdout.write(`${JSON.stringify({ sent })}\n`);
  }

  await (async () => {
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(
      peers.map(async (peer) => {
        await fetch(new URL(peer.location, base), {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        }).catch(() => undefined);
        await peer.pc.close();
      }),
    );
  })();
  process.exit(0);
}

// ───────────────────────────── orchestration ─────────────────────────────

type Step = {
  readonly publishers: number;
  readonly sent: number;
  readonly recorded: number;
  readonly loss: number;
  /** Server CPU seconds per wall second. */
  readonly cores: number;
  /** The sending process's CPU seconds per wall second (werift publishers or the UDP sender). */
  readonly senderCores?: number;
};

async function withServer<T>(
  fn: (url: string, secret: string, pid: number) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const secret = randomBytes(32).toString('base64url');
  const server = spawnBenchRole(['server', dataDir, secret]);
  try {
    const { url } = await nextJson<{ url: string }>(server.lines, 'server');
    return await fn(url, secret, server.proc.pid!);
  } finally {
    await kill(server.proc);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function whipStep(n: number): Promise<Step> {
  return withServer(async (url, secret, pid) => {
    const client = new TapedeckClient({ baseUrl: url, apiSecret: secret });
    await client.updateCallType('bench', { settings: { raw_recording: { mode: 'auto-on' } } });
    const call = `whip-${n}`;
    await client.call('bench', call).getOrCreate();
    const { mintServerToken } = await import('../src/api/auth/tokens.js');
    const token = await mintServerToken(secret);
    const pub = spawnRole(self, ['publishers', url, token, call, String(n)]);
    try {
      await nextJson<{ ready: number }>(pub.lines, 'publishers');
      pub.proc.stdin!.write(`${WARM_UP_SECONDS}\n`);
      await nextJson<{ sent: number }>(pub.lines, 'publishers');
      await new Promise((r) => setTimeout(r, DRAIN_MS));
      const before = await writtenRtp(url);
      const cpu0 = await cpuSeconds(pid);
      const pubCpu0 = await cpuSeconds(pub.proc.pid!);
      pub.proc.stdin!.write(`${SEND_SECONDS}\n`);
      const { sent } = await nextJson<{ sent: number }>(pub.lines, 'publishers');
      const pubCpu1 = await cpuSeconds(pub.proc.pid!);
      pub.proc.stdin!.end();
      await new Promise((r) => setTimeout(r, DRAIN_MS));
      const cpu1 = await cpuSeconds(pid);
      const recorded = (await writtenRtp(url)) - before;
      return {
        ...result(n, sent, recorded, cpu1 - cpu0),
        senderCores: (pubCpu1 - pubCpu0) / SEND_SECONDS,
      };
    } finally {
      await new Promise((resolve) => {
        if (pub.proc.exitCode !== null) resolve(undefined);
        else pub.proc.once('exit', resolve);
        setTimeout(() => void kill(pub.proc).then(resolve), 10_000).unref();
      });
    }
  });
}

/** The same packets as `n` publishers send, as 2n plain RTP streams into a tapedeck server. */
async function udpStep(n: number): Promise<Step> {
  return withServer(async (url, secret, pid) => {
    const client = new TapedeckClient({ baseUrl: url, apiSecret: secret });
    await client.updateCallType('bench', { settings: { raw_recording: { mode: 'available' } } });
    const call = client.call('bench', `udp-${n}`);
    await call.getOrCreate();
    const targets: Target[] = [];
    for (let i = 0; i < 2 * n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, 2 * n - i) }, async (_, j) => {
          const video = (i + j) % 2 === 1;
          const p = (i + j) >> 1;
          const track = await call.addRtpTrack({
            user_id: `p${p}`,
            session_id: `s${p}`,
            track_type: video ? 'video' : 'audio',
            sdp: video ? VP8_SDP : OPUS_SDP,
          });
          const target: Target = {
            port: track.rtp.port,
            video,
            videoPacketsPerFrame: 1,
            videoBytes: VIDEO_BYTES,
            audioBytes: AUDIO_BYTES,
          };
          return target;
        }),
      );
      targets.push(...batch);
    }
    await call.startRecording('raw');
    const before = await writtenRtp(url);
    const cpu0 = await cpuSeconds(pid);
    const sent = await runSender(targets, SEND_SECONDS);
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const cpu1 = await cpuSeconds(pid);
    const recorded = (await writtenRtp(url)) - before;
    return result(n, sent, recorded, cpu1 - cpu0);
  });
}

function result(publishers: number, sent: number, recorded: number, cpu: number): Step {
  return {
    publishers,
    sent,
    recorded,
    loss: sent === 0 ? 0 : Math.max(0, sent - recorded) / sent,
    cores: cpu / (SEND_SECONDS + DRAIN_MS / 1000),
  };
}

function spawnRole(script: string, args: readonly string[]): ReturnType<typeof spawnBenchRole> {
  return spawnBenchRole(args, script);
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

function row(cells: readonly string[]): string {
  return `${cells[0]!.padEnd(11)}${cells
    .slice(1)
    .map((c) => c.padStart(13))
    .join('')}\n`;
}

/** Grows N until loss or a full core (within the time budget); returns the printable report. */
export async function runWhipBench(): Promise<string> {
  const started = Date.now();
  const results: { whip: Step; udp: Step }[] = [];
  let failure: string | undefined;
  for (const n of PUBLISHER_COUNTS) {
    if (Date.now() - started > BUDGET_MS) break;
    process.stderr.write(`whip: ${n} publishers…\n`);
    let whip: Step;
    try {
      whip = await whipStep(n);
    } catch (error) {
      failure = `${n} publishers could not all connect (${(error as Error).message})`;
      break;
    }
    const udp = await udpStep(n);
    results.push({ whip, udp });
    if (whip.loss > LOSS_THRESHOLD || whip.cores >= 1) break;
  }
  const perPub = (s: Step): number => s.cores / s.publishers;
  let out = `\nwhip: N werift publishers (Opus-like ${AUDIO_PPS} pkt/s × ${AUDIO_BYTES} B + VP8-like ${VIDEO_FPS} fps × 1 pkt ≈ ${VIDEO_BYTES} B) for ${SEND_SECONDS} s into one server\n`;
  out += `baseline: the same packets as 2N plain RTP/UDP tracks; ratio = WHIP/UDP server CPU\n`;
  out += row([
    'publishers',
    'sent pkt/s',
    'whip loss',
    'whip cores',
    'pub cores',
    'udp loss',
    'udp cores',
    'cpu ratio',
    'core/pub',
  ]);
  for (const { whip, udp } of results) {
    out += row([
      String(whip.publishers),
      `${(whip.sent / SEND_SECONDS / 1000).toFixed(1)} k/s`,
      pct(whip.loss),
      whip.cores.toFixed(2),
      whip.senderCores?.toFixed(2) ?? '—',
      pct(udp.loss),
      udp.cores.toFixed(2),
      udp.cores === 0 ? '—' : (whip.cores / udp.cores).toFixed(2),
      perPub(whip).toFixed(4),
    ]);
  }
  const clean = results.filter(({ whip }) => whip.loss <= LOSS_THRESHOLD && whip.cores < 1);
  const best = clean.at(-1)?.whip;
  if (best !== undefined) {
    const estimate = Math.floor(1 / perPub(best));
    out += `highest N without loss below one core: ${best.publishers} publishers at ${best.cores.toFixed(2)} cores (${(perPub(best) * 1000).toFixed(2)} millicores each; ≈ ${estimate} publishers per core by extrapolation)\n`;
  } else {
    out += `no step was loss-free below one core\n`;
  }
  const last = results.at(-1);
  if (last !== undefined && (last.whip.loss > LOSS_THRESHOLD || last.whip.cores >= 1)) {
    out += `stopped at ${last.whip.publishers} publishers: ${pct(last.whip.loss)} lost, ${last.whip.cores.toFixed(2)} cores\n`;
  }
  if (failure !== undefined) out += `stopped: ${failure}\n`;
  out += `(publishers run in one werift child process ("pub cores") sharing the machine's ${os.availableParallelism()} cores: when it nears 1.00 the publishers, not the server, are the limit)\n`;
  return out;
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'publishers') await publishersRole(rest[0]!, rest[1]!, rest[2]!, Number(rest[3]));
else if (process.argv[1] === self) process.stdout.write(await runWhipBench());
