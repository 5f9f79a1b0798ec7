/**
 * ffmpeg as a real RTP sender into a recorder's track: a UDP port pair on 127.0.0.1 whose
 * every datagram (RTP on P, RTCP on P + 1) is pushed into a PacketSink with its arrival
 * time, and the ffmpeg command that encodes a lavfi test source in real time and sends it.
 */
import type { PacketSink } from '../../../src/ingest/recorder/index.js';
import {
  DEFAULT_AUDIO_INPUT,
  DEFAULT_PAYLOAD_TYPE,
  DEFAULT_VIDEO_INPUT,
  encoderArgs,
  FFMPEG_PREAMBLE,
  lavfiInputArgs,
  rtpOutputArgs,
  type CaptureCodec,
} from '../../helpers/ffmpeg-rtp-args.js';
import { runFfmpeg } from '../../helpers/run-ffmpeg.js';
import { bindUdpPortPair, type UdpPortPair } from '../../helpers/udp-port-pair.js';

/** RTP arrivals seen on a port pair (Unix ms): the first of each SSRC, in order, and the last. */
export type Span = { readonly firstBySsrc: Map<number, number>; lastMs: number | undefined };

export type Listener = UdpPortPair & { readonly span: Span };

/** Binds a port pair and pushes every datagram into `sink` (arrival = Date.now()). */
export async function listenInto(sink: PacketSink): Promise<Listener> {
  const pair = await bindUdpPortPair();
  const span: Span = { firstBySsrc: new Map(), lastMs: undefined };
  pair.rtp.on('message', (msg: Buffer) => {
    const at = Date.now();
    const ssrc = msg.byteLength >= 12 ? msg.readUInt32BE(8) : -1;
    if (!span.firstBySsrc.has(ssrc)) span.firstBySsrc.set(ssrc, at);
    span.lastMs = at;
    sink.push(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), at, false);
  });
  pair.rtcp.on('message', (msg: Buffer) => {
    sink.push(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), Date.now(), true);
  });
  return { ...pair, span };
}

export type SendSpec = {
  readonly codec: CaptureCodec;
  readonly port: number;
  readonly durationSec: number;
  readonly ssrc: number;
};

/** Sends `durationSec` of a test source as RTP (final SR + BYE included) and waits for ffmpeg to exit. */
export function sendWithFfmpeg(spec: SendSpec, signal?: AbortSignal): Promise<void> {
  const audio = spec.codec === 'opus';
  const args = [
    ...FFMPEG_PREAMBLE,
    ...lavfiInputArgs(audio ? DEFAULT_AUDIO_INPUT : DEFAULT_VIDEO_INPUT, spec.durationSec),
    '-map',
    audio ? '0:a' : '0:v',
    ...encoderArgs({
      codec: spec.codec,
      bitrateKbps: audio ? 32 : 500,
      keyframeIntervalFrames: 30,
    }),
    ...rtpOutputArgs({
      payloadType: DEFAULT_PAYLOAD_TYPE[spec.codec],
      ssrc: spec.ssrc,
      port: spec.port,
      sendBye: true,
    }),
  ];
  return runFfmpeg(args, {
    timeoutMs: spec.durationSec * 1000 + 30_000,
    ...(signal ? { signal } : {}),
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
