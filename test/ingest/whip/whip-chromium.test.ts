/**
 * WHIP end to end with real parts: Debian's Chromium (driven by playwright-core, fake
 * camera and microphone) publishes over WHIP to a node:http server whose routes are the
 * whip-http helpers; the WhipSession's sinks are the recorder's tracks; the part's ZIP is
 * processed by the toolkit and judged by ffprobe and a full ffmpeg decode.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallPartRecorder, type TrackRecorder } from '../../../src/ingest/recorder/index.js';
import {
  WhipSessionRegistry,
  handleWhipDelete,
  handleWhipPost,
  type WhipTrackInfo,
} from '../../../src/ingest/whip/index.js';
import { processAll } from '../../../src/raw/operations.js';
import {
  publishFromChromium,
  readBody,
  servePublisherPage,
  type PublisherPageServer,
} from '../../helpers/chromium-whip-publisher.js';
import { ffmpegDecodeErrors, ffprobe, makeTempDir, removeDir } from '../../media/mux-helpers.js';

const PUBLISH_MS = 4000;

describe('WHIP ingest from Chromium', () => {
  let dir: string;
  let server: PublisherPageServer;
  let part: CallPartRecorder;
  const registry = new WhipSessionRegistry();
  const tracks: WhipTrackInfo[] = [];
  const recorders: TrackRecorder[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    part = await CallPartRecorder.open({
      root: path.join(dir, 'part'),
      callType: 'default',
      callId: 'whip-call',
      callSessionId: 'cs-1',
      callStartMs: Date.now(),
      flushIntervalMs: 100,
    });
    server = await servePublisherPage(async (request, response) => {
      if (request.method === 'POST' && request.url === '/whip') {
        const result = await handleWhipPost((await readBody(request)).toString('utf8'), {
          registry,
          contentType: request.headers['content-type'],
          resourceBase: '/whip',
          sinkFor: (track) => {
            tracks.push(track);
            const { name, payloadType, clockRate, channels, fmtp } = track.codec;
            const recorder = part.track('alice', 'whip-session-1', {
              trackId: `${track.kind}-${track.mid}`,
              kind: track.kind,
              codec: {
                name,
                payloadType,
                clockRate,
                fmtp,
                ...(channels === undefined ? {} : { channels }),
                ...(track.rtxPayloadType === undefined
                  ? {}
                  : { rtxPayloadType: track.rtxPayloadType }),
              },
            });
            recorders.push(recorder);
            return recorder;
          },
        });
        response
          .writeHead(result.status, {
            'Content-Type': result.contentType,
            Location: result.location,
          })
          .end(result.answerSdp);
      } else if (request.method === 'DELETE' && request.url?.startsWith('/whip/') === true) {
        const { status } = await handleWhipDelete(
          registry,
          decodeURIComponent(request.url.slice(6)),
        );
        response.writeHead(status).end();
      } else {
        response.writeHead(404).end();
      }
    }, 400);
  });

  afterAll(async () => {
    await registry.closeAll();
    await server.close();
    await removeDir(dir);
  });

  it('a 4 s publish becomes Opus audio and VP8/H264 video files of about 4 s that decode cleanly', async () => {
    const { answer, deleteStatus, publishedMs } = await publishFromChromium({
      origin: server.origin,
      endpoint: `${server.origin}/whip`,
      ms: PUBLISH_MS,
      profileDir: path.join(dir, 'chromium-profile'),
    });

    expect(answer.status).toBe(201);
    expect(answer.contentType).toBe('application/sdp');
    expect(answer.location).toMatch(/\/whip\/[0-9a-f-]{36}$/);
    expect(deleteStatus).toBe(200);
    expect(registry.size).toBe(0);
    expect(tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    // Chromium's sender reports reached each track, next to its RTP.
    for (const recorder of recorders) {
      expect(recorder.stats.rtpWritten).toBeGreaterThan(0);
      expect(recorder.stats.rtcpWritten).toBeGreaterThan(0);
      expect(recorder.stats.droppedMalformed).toBe(0);
    }

    const zip = path.join(dir, 'whip-call.zip');
    await part.finalize(zip);
    const out = path.join(dir, 'out');
    const report = await processAll({ input: { file: zip }, output: out });
    expect(report.failures).toEqual([]);

    const files = (await readdir(out)).map((f) => path.join(out, f));
    const probes = await Promise.all(
      files.map(async (file) => ({ file, probe: await ffprobe(file) })),
    );
    const only = (codecs: string[]) =>
      probes.find(
        ({ probe }) => probe.streams.length === 1 && codecs.includes(probe.streams[0]!.codec_name),
      );
    const audio = only(['opus']);
    const video = only(['vp8', 'h264']);
    expect(audio, files.join(', ')).toBeDefined();
    expect(video, files.join(', ')).toBeDefined();
    for (const { probe } of [audio!, video!]) {
      expect(Math.abs(Number(probe.format.duration) * 1000 - publishedMs)).toBeLessThanOrEqual(
        1500,
      );
    }
    expect(await ffmpegDecodeErrors(audio!.file), audio!.file).toBe('');
    expect(await ffmpegDecodeErrors(video!.file), video!.file).toBe('');
  }, 90_000);
});
