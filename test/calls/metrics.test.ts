/**
 * The service's Prometheus metrics, fed by a real recording: ffmpeg sends Opus + VP8 RTP
 * (2 s, -re, RTCP) to two RTP tracks, a stray sender hits one track's port, and /metrics
 * is scraped while recording and after the archive is ready. The packet counters must
 * agree with the endpoints' own counts and with the records in the downloaded archive.
 */
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckClient, type Recording } from '../../packages/client/src/index.js';
import { readRtpdump } from '../../src/rtpdump/read-rtpdump.js';
import { makeTempDir, removeDir } from '../media/mux-helpers.js';
import {
  addOpusAndVp8Tracks,
  sendOpusAndVp8,
  settledRecording,
  startTestService,
  type Json,
  type TestService,
} from './support.js';

const SECONDS = 2;

/** `name{labels} value` lines of a Prometheus text exposition, by `name{labels}`. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** The archive's rtpdump entries, written under `dir`; returns their paths. */
async function extractRtpdumps(zipFile: string, dir: string): Promise<string[]> {
  const zip = await yauzl.openPromise(zipFile, { lazyEntries: true });
  const files: string[] = [];
  for await (const entry of zip.eachEntry()) {
    if (!entry.fileName.endsWith('.rtpdump')) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    const file = path.join(dir, `${files.length}.rtpdump`);
    await writeFile(file, Buffer.concat(chunks));
    files.push(file);
  }
  zip.close();
  return files;
}

let t: TestService;
let work: string;
let during: Map<string, number>;
let after: Map<string, number>;
let recording: Recording;
let records: { rtp: number; rtcp: number };
let endpointReceived: number;
let endpointRtcp: number;

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${t.service.url}/metrics`);
  expect(response.status).toBe(200);
  return parseMetrics(await response.text());
}

beforeAll(async () => {
  t = await startTestService();
  work = await makeTempDir();
  const client = new TapedeckClient({ baseUrl: t.service.url, apiSecret: t.secret });
  await client.updateCallType('metered', { settings: { raw_recording: { mode: 'available' } } });
  const call = client.call('metered', 'm1');
  await call.getOrCreate();
  const { audio, video } = await addOpusAndVp8Tracks(call, 'alice', 'sess1');
  const started = await call.startRecording('raw');
  await sendOpusAndVp8({
    seconds: SECONDS,
    audioPort: audio.rtp.port,
    videoPort: video.rtp.port,
    audioSsrc: 0x5555_5555,
    videoSsrc: 0x6666_6666,
  });
  // A second sender: the audio endpoint latched ffmpeg, so these are unexpected sources.
  const stray = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => stray.bind(0, '127.0.0.1', resolve));
  const rtp = Buffer.from([0x80, 111, 0, 1, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78, 0xf8]);
  for (let i = 0; i < 3; i++)
    await new Promise<void>((resolve, reject) =>
      stray.send(rtp, audio.rtp.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
  stray.close();
  // The endpoint counts what it received before the call view reads it.
  const view: Json = (await t.api('GET', '/v1/calls/metered/m1')).json.call;
  endpointReceived = 0;
  endpointRtcp = 0;
  for (const track of view.tracks as Json[]) {
    endpointReceived += track.packets_received;
    expect(track.capturing).toBe(true);
  }
  during = await scrape();
  await call.stopRecording('raw');
  recording = await settledRecording(
    async () => (await client.getRecording(started.recording.id)).recording,
  );
  expect(recording.status).toBe('ready');
  after = await scrape();

  const download = await fetch(recording.files[0]!.url!);
  const zip = path.join(work, 'download.zip');
  await writeFile(zip, new Uint8Array(await download.arrayBuffer()));
  records = { rtp: 0, rtcp: 0 };
  for (const file of await extractRtpdumps(zip, work)) {
    for await (const record of readRtpdump(file)) {
      if (record.isRtcp) records.rtcp++;
      else records.rtp++;
    }
  }
  endpointRtcp = after.get('tapedeck_packets_received_total{kind="rtcp"}') ?? 0;
});

afterAll(async () => {
  await t?.stop();
  if (work !== undefined) await removeDir(work);
});

describe('/metrics after an ffmpeg RTP recording', () => {
  it('counts the recording and its two tracks while it captures, and none once it stopped', () => {
    expect(during.get('tapedeck_active_recordings')).toBe(1);
    expect(during.get('tapedeck_tracks')).toBe(2);
    expect(after.get('tapedeck_active_recordings')).toBe(0);
    // The call did not end: its tracks are still open.
    expect(after.get('tapedeck_tracks')).toBe(2);
  });

  it('reports spooled bytes while recording', () => {
    expect(during.get('tapedeck_bytes_spooled')).toBeGreaterThan(0);
  });

  it('packets_written equals the RTP and RTCP records in the downloaded archive', () => {
    expect(records.rtp).toBeGreaterThan(100);
    expect(records.rtcp).toBeGreaterThan(0);
    expect(after.get('tapedeck_packets_written_total{kind="rtp"}')).toBe(records.rtp);
    expect(after.get('tapedeck_packets_written_total{kind="rtcp"}')).toBe(records.rtcp);
  });

  it('packets_received counts every datagram the endpoints read, stray ones included', () => {
    const received =
      (during.get('tapedeck_packets_received_total{kind="rtp"}') ?? 0) +
      (during.get('tapedeck_packets_received_total{kind="rtcp"}') ?? 0);
    expect(received).toBe(endpointReceived);
    expect(endpointRtcp).toBeGreaterThan(0);
  });

  it('counts the stray sender as unexpected_source drops, and nothing else as dropped', () => {
    expect(after.get('tapedeck_packets_dropped_total{reason="unexpected_source"}')).toBe(3);
    const others = [...after]
      .filter(([name]) => name.startsWith('tapedeck_packets_dropped_total{'))
      .filter(([name]) => !name.includes('unexpected_source'));
    expect(others.filter(([, value]) => value !== 0)).toEqual([]);
  });

  it('received = written + dropped for RTP (no sender report is written twice here)', () => {
    const receivedRtp = after.get('tapedeck_packets_received_total{kind="rtp"}') ?? 0;
    expect(receivedRtp).toBe(records.rtp + 3);
  });
});
