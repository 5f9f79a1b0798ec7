import { describe, expect, it } from 'vitest';
import { buildSenderReport } from '../../src/media/packetize/index.js';
import { parseRtpPacket, serializeRtpPacket } from '../../src/rtp/rtp-packet.js';
import { SegmentTimingTracker } from '../../src/ingest/recorder/segment-timing-tracker.js';
import { probeVideoPayload } from '../../src/ingest/recorder/video-packet-probe.js';

const rtp = (seq: number, timestamp: number, payload: number[], marker = false, ssrc = 7) =>
  parseRtpPacket(
    serializeRtpPacket({
      payloadType: 102,
      sequenceNumber: seq,
      timestamp,
      ssrc,
      marker,
      payload: Uint8Array.from(payload),
    }),
  );
const sr = (ssrc: number, ntpUnixMs: number, rtpTimestamp: number): Uint8Array =>
  buildSenderReport({ ssrc, ntpUnixMs, rtpTimestamp, packetCount: 1, octetCount: 1 });

/** A baseline 640×360 SPS as libx264 writes it (profile 66, level 30). */
const SPS_640x360 = [
  0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
  0x00, 0x00, 0x03, 0x00, 0x3c, 0x8f, 0x16, 0x2e, 0x48,
];

describe('SegmentTimingTracker', () => {
  it('takes first/last RTP by arrival, SRs of the stream SSRC only (even before the first packet), NTP as integer Unix ms', () => {
    const t = new SegmentTimingTracker({
      baseFilename: 'audio_1',
      codec: 'opus',
      trackId: 't',
      trackType: 'TRACK_TYPE_AUDIO',
    });
    t.addRtcp(sr(7, 1_000_000.4, 100));
    t.addRtcp(sr(99, 5_000_000, 1));
    t.addRtp(rtp(1, 0xffff_ff00, [0xfc]), 1_000_010);
    t.addRtp(rtp(2, 0x0000_0080, [0xfc]), 1_000_030);
    t.addRtcp(sr(7, 1_000_050.6, 2000));
    expect(t.finish()).toEqual({
      baseFilename: 'audio_1',
      codec: 'audio/opus',
      trackId: 't',
      trackType: 'TRACK_TYPE_AUDIO',
      firstRtpRtpTimestamp: 0xffff_ff00,
      lastRtpRtpTimestamp: 0x80,
      firstRtpUnixTimestamp: 1_000_010,
      lastRtpUnixTimestamp: 1_000_030,
      firstRtcpRtpTimestamp: 100,
      firstRtcpNtpTimestamp: 1_000_000,
      lastRtcpRtpTimestamp: 2000,
      lastRtcpNtpTimestamp: 1_000_051,
      firstKeyFrameOffsetMs: undefined,
      maxFrameDimension: undefined,
      ssrc: 7,
    });
    expect([t.rtpPackets, t.rtcpPackets, t.senderReports]).toEqual([2, 3, 2]);
  });

  it('H264: the first keyframe is timed by its access unit first packet (SPS), sizes come from the SPS', () => {
    const t = new SegmentTimingTracker({
      baseFilename: 'video_1',
      codec: 'H264',
      trackId: 't',
      trackType: 'TRACK_TYPE_VIDEO',
    });
    t.addRtp(rtp(1, 1000, [0x41, 0x9a], true), 500); // non-IDR slice
    t.addRtp(rtp(2, 4000, SPS_640x360), 540);
    t.addRtp(rtp(3, 4000, [0x68, 0xce, 0x38, 0x80]), 541); // PPS
    t.addRtp(rtp(4, 4000, [0x7c, 0x85, 0x88]), 543); // FU-A start of an IDR
    const timing = t.finish();
    expect(timing.firstKeyFrameOffsetMs).toBe(40);
    expect(timing.maxFrameDimension).toEqual({ width: 640, height: 360 });
    expect(t.markedPackets).toBe(1);
  });

  it('finish() without RTP throws RangeError naming the segment; a malformed RTCP compound throws ParseError', () => {
    const t = new SegmentTimingTracker({
      baseFilename: 'video_9',
      codec: 'VP8',
      trackId: 't',
      trackType: 'TRACK_TYPE_VIDEO',
    });
    expect(() => t.finish()).toThrow(/video_9/);
    expect(() => t.addRtcp(Uint8Array.of(0x80, 200, 0, 9))).toThrow(
      expect.objectContaining({ name: 'ParseError' }) as Error,
    );
  });
});

describe('probeVideoPayload()', () => {
  it('VP8: keyframe and size only on a partition-0 start whose payload header has P = 0', () => {
    const key = [
      0x90, 0x80, 0x80, 0x01, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01,
    ];
    expect(probeVideoPayload('VP8', Uint8Array.from(key))).toEqual({
      keyframe: true,
      width: 640,
      height: 360,
    });
    expect(probeVideoPayload('VP8', Uint8Array.from([0x80, ...key.slice(1)]))).toEqual({
      keyframe: false,
    });
    expect(probeVideoPayload('VP8', Uint8Array.from([0x90, 0x80, 0x80, 0x01, 0x51, 0, 0]))).toEqual(
      { keyframe: false },
    );
  });

  it('VP9: the keyframe flag comes from the frame header even when the descriptor P bit says otherwise', () => {
    // Descriptor: I=1 (7-bit picture id), B=1, E=1; P=1 claims inter-prediction.
    const descriptor = [0x80 | 0x40 | 0x08 | 0x04, 0x05];
    // 0x82: frame_marker 2, profile 0, show_existing 0, frame_type 0 (key), show_frame 1, error_res 0;
    // 49 83 42: sync code; then color_space 0 + color_range 0 (4 bits), width−1 = 639, height−1 = 359.
    const header = [0x82, 0x49, 0x83, 0x42, 0x00, 0x27, 0xf0, 0x16, 0x70];
    expect(probeVideoPayload('VP9', Uint8Array.from([...descriptor, ...header]))).toEqual({
      keyframe: true,
      width: 640,
      height: 360,
    });
    expect(probeVideoPayload('VP9', Uint8Array.from([0x80 | 0x04, 0x05, 0x84]))).toEqual({
      keyframe: false,
    }); // B=0
  });

  it('H264: IDR alone, inside STAP-A, or at a FU-A start; not a FU-A continuation', () => {
    expect(probeVideoPayload('H264', Uint8Array.of(0x65, 0x88))).toEqual({ keyframe: true });
    expect(
      probeVideoPayload(
        'H264',
        Uint8Array.from([0x78, 0, SPS_640x360.length, ...SPS_640x360, 0, 2, 0x65, 0x88]),
      ),
    ).toEqual({
      keyframe: true,
      width: 640,
      height: 360,
    });
    expect(probeVideoPayload('H264', Uint8Array.of(0x7c, 0x85))).toEqual({ keyframe: true });
    expect(probeVideoPayload('H264', Uint8Array.of(0x7c, 0x05))).toEqual({ keyframe: false });
    expect(probeVideoPayload('H264', Uint8Array.of(0x41, 0x9a))).toEqual({ keyframe: false });
  });
});
