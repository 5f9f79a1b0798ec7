/** A real service (startService) on a temp data dir and a per-run secret, plus a JSON client. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RtpTrack, TapedeckCall } from '../../packages/client/src/index.js';
import { mintServerToken } from '../../src/api/auth/tokens.js';
import {
  startService,
  type RunningService,
  type StartServiceOptions,
} from '../../src/api/start-service.js';
import {
  DEFAULT_AUDIO_INPUT,
  DEFAULT_VIDEO_INPUT,
  encoderArgs,
  FFMPEG_PREAMBLE,
  lavfiInputArgs,
  rtpOutputArgs,
} from '../helpers/ffmpeg-rtp-args.js';
import { runFfmpeg } from '../helpers/run-ffmpeg.js';
import { leakedSecrets, registerSecret } from '../helpers/test-secrets.js';
import { Writable } from 'node:stream';

/** A response body, read by path in assertions (the route schemas are checked by fastify). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Json = any;

export type TestService = {
  readonly service: RunningService;
  readonly secret: string;
  readonly dataDir: string;
  readonly serverToken: string;
  /** JSON request with the server token unless `token` is given (`null` = none). */
  api(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; json: Json }>;
  stop(): Promise<void>;
};

/** `env` adds to (or overrides) the test environment, e.g. `TAPEDECK_PART_SECONDS`. */
export async function startTestService(
  env: Readonly<Record<string, string>> = {},
  options: Pick<StartServiceOptions, 'delivery' | 'logStream' | 'webhooks'> = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const secret = registerSecret(randomBytes(32).toString('base64url'));
  // Every log line and response body is kept and, at stop(), searched for every secret
  // the run made (test/helpers/test-secrets.ts): none may ever leave the service.
  const seen: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      seen.push(chunk.toString('utf8'));
      options.logStream?.write(chunk.toString('utf8'));
      done();
    },
  });
  const service = await startService({
    env: {
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_RTP_HOST: '127.0.0.1',
      TAPEDECK_LOG_LEVEL: 'info',
      ...env,
    },
    ...options,
    logStream,
    observeResponse: (body) => seen.push(body),
  });
  const serverToken = await mintServerToken(secret);
  return {
    service,
    secret,
    dataDir,
    serverToken,
    async api(method, url, body, token = serverToken) {
      const headers: Record<string, string> = {};
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${service.url}${url}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
    },
    async stop() {
      await service.server.close();
      await rm(dataDir, { recursive: true, force: true });
      const leaks = leakedSecrets(seen);
      if (leaks.length > 0)
        throw new Error(
          `secrets (sha256 prefixes ${leaks.join(', ')}) appeared in a response body or log line`,
        );
    },
  };
}

/** The SDP ffmpeg's RTP muxer writes for an Opus stream (payload type 111). */
export const OPUS_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 59.27.100',
  'm=audio 5004 RTP/AVP 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 sprop-stereo=1',
  '',
].join('\r\n');

/** The SDP ffmpeg's RTP muxer writes for a VP8 stream (payload type 96). */
export const VP8_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 59.27.100',
  'm=video 5006 RTP/AVP 96',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

/** Registers an Opus (audio) and a VP8 (video) RTP track of one session, by ffmpeg's SDPs. */
export async function addOpusAndVp8Tracks(
  call: TapedeckCall,
  userId: string,
  sessionId: string,
): Promise<{ readonly audio: RtpTrack; readonly video: RtpTrack }> {
  const add = (trackType: 'audio' | 'video', sdp: string): Promise<RtpTrack> =>
    call.addRtpTrack({ user_id: userId, session_id: sessionId, track_type: trackType, sdp });
  const audio = await add('audio', OPUS_SDP);
  const video = await add('video', VP8_SDP);
  return { audio, video };
}

export type FfmpegSendOptions = {
  readonly seconds: number;
  /** RTP ports of the tracks (RTCP goes to each port + 1). */
  readonly audioPort: number;
  readonly videoPort: number;
  readonly audioSsrc: number;
  readonly videoSsrc: number;
};

/**
 * Two ffmpeg processes in parallel, paced in real time (-re): `seconds` of test-tone Opus
 * (64 kbit/s, PT 111) and test-pattern VP8 (500 kbit/s, keyframe every 30 frames, PT 96)
 * as RTP with RTCP sender reports and a BYE. Resolves once both exited and their last
 * datagrams had 300 ms to reach the sockets.
 */
export async function sendOpusAndVp8(options: FfmpegSendOptions): Promise<void> {
  const send = (input: string, codec: 'opus' | 'VP8', port: number, ssrc: number): Promise<void> =>
    runFfmpeg(
      [
        ...FFMPEG_PREAMBLE,
        ...lavfiInputArgs(input, options.seconds),
        ...encoderArgs({
          codec,
          bitrateKbps: codec === 'opus' ? 64 : 500,
          keyframeIntervalFrames: 30,
        }),
        ...rtpOutputArgs({ payloadType: codec === 'opus' ? 111 : 96, ssrc, port, sendBye: true }),
      ],
      { timeoutMs: 60_000 },
    );
  await Promise.all([
    send(DEFAULT_AUDIO_INPUT, 'opus', options.audioPort, options.audioSsrc),
    send(DEFAULT_VIDEO_INPUT, 'VP8', options.videoPort, options.videoSsrc),
  ]);
  // Let the last datagrams (BYE) reach the sockets before capture stops.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** Polls a recording until it is `ready` or `failed`, and returns it. */
export async function settledRecording<R extends { readonly status: string }>(
  get: () => Promise<R>,
): Promise<R> {
  for (;;) {
    const recording = await get();
    if (recording.status === 'ready' || recording.status === 'failed') return recording;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
