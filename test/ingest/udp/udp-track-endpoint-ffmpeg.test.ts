/**
 * UdpTrackEndpoint receiving from a real sender: Debian's ffmpeg encodes 1.5 s of Opus
 * and sends it as RTP, with sender reports and a closing SR + BYE (`-rtpflags send_bye`).
 * ffmpeg sends RTCP from its RTP port + 1, to the endpoint's RTP port + 1 by default or to
 * the RTP port itself with `?rtcpport=<RTP port>`; its first SR goes out before its first
 * RTP packet.
 *
 * When ffmpeg has exited, all its datagrams sit in the endpoint's socket buffers; a
 * foreign datagram sent after them to the same port is read after them, so once it is
 * counted, everything ffmpeg sent has been judged.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { UdpTrackEndpoint, type UdpTrackEndpointOptions } from '../../../src/ingest/udp/index.js';
import { seqDelta } from '../../../src/lib/wrap.js';
import { parseRtcpCompound } from '../../../src/rtp/rtcp.js';
import { parseRtpPacket } from '../../../src/rtp/rtp-packet.js';
import {
  DEFAULT_AUDIO_INPUT,
  encoderArgs,
  FFMPEG_PREAMBLE,
  lavfiInputArgs,
  rtpOutputArgs,
} from '../../helpers/ffmpeg-rtp-args.js';
import { runFfmpeg } from '../../helpers/run-ffmpeg.js';
import { RecordingSink } from './helpers/recording-sink.js';
import { rtp } from './helpers/test-packets.js';
import { UdpSender } from './helpers/udp-sender.js';

const SSRC = 0x5eed_0001;
const OPUS_PT = 111;

/** ffmpeg sending Opus RTP to `port`, its RTCP to `rtcpPort` (default port + 1). */
function opusSenderArgs(port: number, rtcpPort?: number): string[] {
  const args = [
    ...FFMPEG_PREAMBLE,
    ...lavfiInputArgs(DEFAULT_AUDIO_INPUT, 1.5),
    ...encoderArgs({ codec: 'opus', bitrateKbps: 32, keyframeIntervalFrames: 0 }),
    ...rtpOutputArgs({ payloadType: OPUS_PT, ssrc: SSRC, port, sendBye: true }),
  ];
  // The last argument is the output URL (rtp://127.0.0.1:<port>?pkt_size=…).
  if (rtcpPort !== undefined) args[args.length - 1] += `&rtcpport=${rtcpPort}`;
  return args;
}

type Run = { endpoint: UdpTrackEndpoint; sink: RecordingSink; foreignSentinels: number };

/**
 * Opens an endpoint, runs ffmpeg against it, then sends one foreign RTP datagram to each
 * port in `drain` and waits until they are counted; returns the closed endpoint.
 */
async function receiveFromFfmpeg(
  options: Partial<UdpTrackEndpointOptions>,
  target: (endpoint: UdpTrackEndpoint) => string[],
  drain: (endpoint: UdpTrackEndpoint) => number[],
): Promise<Run> {
  const sink = new RecordingSink();
  const endpoint = await UdpTrackEndpoint.open({ sink, ...options });
  const stranger = await UdpSender.open();
  try {
    await runFfmpeg(target(endpoint), { timeoutMs: 60_000 });
    const ports = drain(endpoint);
    for (const port of ports) await stranger.send(rtp({ ssrc: SSRC }), port);
    await vi.waitFor(() => expect(endpoint.stats.droppedForeignSource).toBe(ports.length), {
      timeout: 10_000,
    });
    return { endpoint, sink, foreignSentinels: ports.length };
  } finally {
    await stranger.close();
    await endpoint.close();
  }
}

function expectOpusRtpInOrder(run: Run): void {
  const packets = run.sink.rtp.map((p) => parseRtpPacket(p.packet));
  expect(packets.length).toBeGreaterThan(0);
  for (const packet of packets) {
    expect(packet.payloadType).toBe(OPUS_PT);
    expect(packet.ssrc).toBe(SSRC);
  }
  // Loopback neither loses nor reorders: one sequence step between neighbours.
  const steps = packets
    .slice(1)
    .map((p, i) => seqDelta(packets[i]!.sequenceNumber, p.sequenceNumber));
  expect(new Set(steps)).toEqual(new Set([1]));
  const times = run.sink.pushed.map((p) => p.arrivalMs);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

/** Every RTCP delivery is a valid compound opening with ffmpeg's SR; the first SR predates RTP. */
function expectSenderReports(run: Run): void {
  const compounds = run.sink.rtcp.map((p) => parseRtcpCompound(p.packet));
  expect(compounds.length).toBeGreaterThanOrEqual(2);
  for (const compound of compounds) expect(compound[0]).toMatchObject({ type: 'sr', ssrc: SSRC });
  // ffmpeg's first SR (packet count 0) was sent before any RTP packet: held, not lost.
  expect(compounds[0]![0]).toMatchObject({ type: 'sr', packetCount: 0 });
  expect(compounds.at(-1)!.some((p) => p.type === 'bye')).toBe(true);
}

let separate: Run;
let muxed: Run;
let unmuxed: Run;

beforeAll(async () => {
  [separate, muxed, unmuxed] = await Promise.all([
    receiveFromFfmpeg(
      { payloadTypes: [OPUS_PT] },
      (e) => opusSenderArgs(e.rtp.port),
      (e) => [e.rtp.port, e.rtcp.port],
    ),
    receiveFromFfmpeg(
      { payloadTypes: [OPUS_PT] },
      (e) => opusSenderArgs(e.rtp.port, e.rtp.port),
      (e) => [e.rtp.port],
    ),
    receiveFromFfmpeg(
      { payloadTypes: [OPUS_PT], rtcpMux: false },
      (e) => opusSenderArgs(e.rtp.port, e.rtp.port),
      (e) => [e.rtp.port],
    ),
  ]);
});

describe('UdpTrackEndpoint receiving ffmpeg', () => {
  it('delivers ffmpeg Opus RTP and its RTCP sent to the RTCP port (RTP port + 1), dropping nothing', () => {
    expectOpusRtpInOrder(separate);
    expectSenderReports(separate);
    const { endpoint, sink } = separate;
    expect(endpoint.stats).toMatchObject({
      received: sink.pushed.length + separate.foreignSentinels,
      accepted: sink.pushed.length,
      rtcp: sink.rtcp.length,
      droppedMalformed: 0,
      droppedPayloadType: 0,
      droppedUnclaimedRtcp: 0,
      pendingRtcp: 0,
      sinkErrors: 0,
    });
    const source = endpoint.source!;
    expect(source.address).toBe('127.0.0.1');
    expect(source.rtcpPort).toBe(source.port + 1);
  });

  it('with rtcpMux, demultiplexes the sender reports ffmpeg sends to the RTP port (rtcpport = RTP port) as RTCP', () => {
    expectOpusRtpInOrder(muxed);
    expectSenderReports(muxed);
    const { endpoint, sink } = muxed;
    expect(endpoint.stats).toMatchObject({
      received: sink.pushed.length + muxed.foreignSentinels,
      accepted: sink.pushed.length,
      rtcp: sink.rtcp.length,
      droppedMalformed: 0,
      droppedPayloadType: 0,
    });
    expect(endpoint.source!.rtcpPort).toBe(endpoint.source!.port + 1);
  });

  it('without rtcpMux, the same sender reports on the RTP port are not RTCP: dropped as payload type 72', () => {
    expectOpusRtpInOrder(unmuxed);
    const { endpoint, sink } = unmuxed;
    expect(sink.rtcp).toEqual([]);
    // At least ffmpeg's opening SR and its closing SR + BYE.
    expect(endpoint.stats.droppedPayloadType).toBeGreaterThanOrEqual(2);
    expect(endpoint.stats.accepted).toBe(sink.rtp.length);
  });
});
