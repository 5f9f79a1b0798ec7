import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTimingMetadataText } from '../../../src/archive/timing-metadata.js';
import { CallPartRecorder, readRecordingState } from '../../../src/ingest/recorder/index.js';
import { parseSdp, resolveCodec } from '../../../src/sdp/index.js';
import { readSegment } from '../../helpers/read-segment.js';
import { removeDir, rtp, sr, tempDir, vp8Interframe, vp8Keyframe } from './synthetic-packets.js';

let dir: string;
let root: string;
const T0 = 1_714_557_600_000; // 2024-05-01T10:00:00Z
const clock = (): number => T0 + 60_000;

beforeEach(async () => {
  dir = await tempDir();
  root = path.join(dir, 'part');
});
afterEach(async () => {
  await removeDir(dir);
});

function openPart(): Promise<CallPartRecorder> {
  return CallPartRecorder.open({
    root,
    callType: 'default',
    callId: 'c1',
    callSessionId: 'cs1',
    callStartMs: T0,
    now: clock,
  });
}

async function metadata(userId: string, sessionId: string) {
  const file = path.join(root, userId, sessionId, 'timing_metadata.json');
  return parseTimingMetadataText(await readFile(file, 'utf8'), file);
}

describe('TrackRecorder', () => {
  it('writes every datagram as received, RTCP as plen-0 records, and timing metadata with every field', async () => {
    const part = await openPart();
    const mic = part.track('alice', 's1', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    const packets: [Uint8Array, number, boolean][] = [
      [sr(0xaa, T0 + 990, 1000), T0 + 1000, true],
      [rtp({ ssrc: 0xaa, seq: 1, ts: 960 }), T0 + 1010, false],
      [rtp({ ssrc: 0xaa, seq: 3, ts: 2880 }), T0 + 1050.7, false],
      [rtp({ ssrc: 0xaa, seq: 2, ts: 1920 }), T0 + 1051, false],
      [sr(0xaa, T0 + 5990, 240_000), T0 + 6000, true],
      [rtp({ ssrc: 0xaa, seq: 4, ts: 3840 }), T0 + 6020, false],
    ];
    for (const [packet, at, isRtcp] of packets) mic.push(packet, at, isRtcp);
    await part.close();

    const seg = await readSegment(path.join(root, 'alice', 's1', 'audio_1.rtpdump'));
    expect(seg.startUnixMs).toBe(T0 + 1000);
    expect(seg.order).toEqual(['rtcp', 'rtp', 'rtp', 'rtp', 'rtcp', 'rtp']);
    expect(seg.rtp.map((r) => [r.packet.sequenceNumber, r.arrivalMs])).toEqual([
      [1, T0 + 1010],
      [3, T0 + 1050],
      [2, T0 + 1051],
      [4, T0 + 6020],
    ]);
    expect(seg.rtcp.map((r) => r.bytes)).toEqual([packets[0]![0], packets[4]![0]]);
    expect(
      resolveCodec(
        parseSdp(await readFile(path.join(root, 'alice', 's1', 'audio_1.sdp'), 'utf8')).media[0]!,
      ).mimeType,
    ).toBe('audio/opus');

    const m = await metadata('alice', 's1');
    expect(m).toMatchObject({
      callType: 'default',
      callId: 'c1',
      callSessionId: 'cs1',
      callStartMs: T0,
      participantId: 'alice',
      userSessionId: 's1',
    });
    expect(m.callEndTime).toBe(new Date(clock()).toISOString());
    expect(m.segments.audio).toEqual([
      {
        baseFilename: 'audio_1',
        codec: 'audio/opus',
        trackId: 'mic',
        trackType: 'TRACK_TYPE_AUDIO',
        firstRtpRtpTimestamp: 960,
        lastRtpRtpTimestamp: 3840,
        firstRtpUnixTimestamp: T0 + 1010,
        lastRtpUnixTimestamp: T0 + 6020,
        firstRtcpRtpTimestamp: 1000,
        firstRtcpNtpTimestamp: T0 + 990,
        lastRtcpRtpTimestamp: 240_000,
        lastRtcpNtpTimestamp: T0 + 5990,
        firstKeyFrameOffsetMs: undefined,
        maxFrameDimension: undefined,
        ssrc: 0xaa,
      },
    ]);
    expect(mic.stats).toEqual({
      segments: 1,
      rtpWritten: 4,
      rtcpWritten: 2,
      bytesWritten: packets.reduce((n, [p]) => n + p.byteLength, 0),
      droppedMalformed: 0,
      droppedAfterClose: 0,
      droppedStale: 0,
      droppedUnassigned: 0,
      droppedWriteFailed: 0,
    });
    expect((await readRecordingState(root)).state).toBe('closed');
  });

  it('a new media SSRC starts video_2 (its sender report just before it written there too); RTX of another SSRC starts nothing; late packets of the old SSRC are dropped as stale', async () => {
    const part = await openPart();
    const cam = part.track('bob', 's2', {
      trackId: 'cam',
      kind: 'video',
      codec: { name: 'VP8', payloadType: 96, rtxPayloadType: 97 },
    });
    cam.push(
      rtp({ ssrc: 0xa, seq: 10, ts: 9000, pt: 96, payload: vp8Interframe() }),
      T0 + 100,
      false,
    );
    cam.push(
      rtp({ ssrc: 0xa, seq: 11, ts: 12000, pt: 96, payload: vp8Keyframe(320, 180) }),
      T0 + 140,
      false,
    );
    cam.push(
      rtp({ ssrc: 0xbad, seq: 1, ts: 12000, pt: 97, payload: [0, 11, ...vp8Keyframe(320, 180)] }),
      T0 + 150,
      false,
    );
    cam.push(sr(0xb, T0 + 1990, 0), T0 + 1995, true); // the new sender's first report, before its RTP
    cam.push(
      rtp({ ssrc: 0xb, seq: 500, ts: 1, pt: 96, payload: vp8Keyframe(640, 360) }),
      T0 + 2000,
      false,
    );
    cam.push(
      rtp({ ssrc: 0xa, seq: 12, ts: 15000, pt: 96, payload: vp8Interframe() }),
      T0 + 2010,
      false,
    );
    cam.push(
      rtp({ ssrc: 0xb, seq: 501, ts: 3001, pt: 96, payload: vp8Interframe() }),
      T0 + 2033,
      false,
    );
    await part.close();

    const files = (await readdir(path.join(root, 'bob', 's2'))).sort();
    expect(files).toEqual([
      'timing_metadata.json',
      'video_1.rtpdump',
      'video_1.sdp',
      'video_2.rtpdump',
      'video_2.sdp',
    ]);
    const first = await readSegment(path.join(root, 'bob', 's2', 'video_1.rtpdump'));
    expect(first.rtp.map((r) => [r.packet.ssrc, r.packet.payloadType])).toEqual([
      [0xa, 96],
      [0xa, 96],
      [0xbad, 97],
    ]);
    expect(first.order).toEqual(['rtp', 'rtp', 'rtp', 'rtcp']);
    const second = await readSegment(path.join(root, 'bob', 's2', 'video_2.rtpdump'));
    expect(second.rtp.map((r) => r.packet.sequenceNumber)).toEqual([500, 501]);
    expect(second.order).toEqual(['rtcp', 'rtp', 'rtp']);
    expect(second.startUnixMs).toBe(T0 + 1995);

    const video = (await metadata('bob', 's2')).segments.video;
    expect(
      video.map((s) => [s.baseFilename, s.ssrc, s.firstKeyFrameOffsetMs, s.maxFrameDimension]),
    ).toEqual([
      ['video_1', 0xa, 40, { width: 320, height: 180 }],
      ['video_2', 0xb, 0, { width: 640, height: 360 }],
    ]);
    expect(video[0]).toMatchObject({
      firstRtpRtpTimestamp: 9000,
      lastRtpRtpTimestamp: 12000,
      lastRtpUnixTimestamp: T0 + 140,
      firstRtcpNtpTimestamp: undefined,
    });
    expect(video[1]).toMatchObject({ firstRtcpRtpTimestamp: 0, firstRtcpNtpTimestamp: T0 + 1990 });
    expect(cam.stats).toMatchObject({
      segments: 2,
      rtpWritten: 5,
      rtcpWritten: 2,
      droppedStale: 1,
    });
    const sdp = parseSdp(await readFile(path.join(root, 'bob', 's2', 'video_2.sdp'), 'utf8'))
      .media[0]!;
    expect([...resolveCodec(sdp).rtx]).toEqual([[97, 96]]);
    expect(sdp.ssrcs.map((s) => s.ssrc)).toEqual([0xb]);
  });

  it('cut() and republish() end the segment and the same SSRC opens the next; base names are unique across the session', async () => {
    const part = await openPart();
    const session = part.session('carol', 's3');
    const mic = session.track({
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    const share = session.track({
      trackId: 'share',
      kind: 'audio',
      trackType: 'TRACK_TYPE_SCREEN_SHARE_AUDIO',
      codec: { name: 'opus', payloadType: 111 },
    });
    expect(
      session.track({ trackId: 'mic', kind: 'audio', codec: { name: 'opus', payloadType: 111 } }),
    ).toBe(mic);
    mic.push(rtp({ ssrc: 1, seq: 1, ts: 0 }), T0 + 10, false);
    share.push(rtp({ ssrc: 2, seq: 1, ts: 0 }), T0 + 20, false);
    await mic.cut();
    expect((await metadata('carol', 's3')).segments.audio.map((s) => s.baseFilename)).toEqual([
      'audio_1',
    ]);
    mic.push(rtp({ ssrc: 1, seq: 2, ts: 960 }), T0 + 30, false);
    await mic.republish();
    mic.push(rtp({ ssrc: 1, seq: 3, ts: 1920 }), T0 + 40, false);
    await part.close();
    await part.close();
    const audio = (await metadata('carol', 's3')).segments.audio;
    expect(audio.map((s) => [s.baseFilename, s.trackId, s.trackType])).toEqual([
      ['audio_1', 'mic', 'TRACK_TYPE_AUDIO'],
      ['audio_2', 'share', 'TRACK_TYPE_SCREEN_SHARE_AUDIO'],
      ['audio_3', 'mic', 'TRACK_TYPE_AUDIO'],
      ['audio_4', 'mic', 'TRACK_TYPE_AUDIO'],
    ]);
    expect(mic.stats.segments).toBe(3);
  });

  it('RTCP before the first RTP packet waits for the segment; what never finds one is counted, and a track without RTP leaves no files', async () => {
    const part = await openPart();
    const mic = part.track('dave', 's4', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    for (let i = 0; i < 70; i++) mic.push(sr(7, T0 + i, i), T0 + i, true);
    await part.close();
    expect(mic.stats).toMatchObject({ segments: 0, rtcpWritten: 0, droppedUnassigned: 70 });
    expect(await readdir(root)).toEqual(['recording_state.json']);
  });

  it('malformed datagrams and packets pushed after close() are counted as dropped, never thrown', async () => {
    const part = await openPart();
    const mic = part.track('erin', 's5', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    mic.push(Uint8Array.from([0x80, 111, 0]), T0, false); // shorter than an RTP header
    mic.push(Uint8Array.from([0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), T0, false); // version 0
    mic.push(Uint8Array.from([0x80, 200, 0, 9]), T0, true); // RTCP length past the end
    mic.push(rtp({ ssrc: 1, seq: 1, ts: 0 }), T0 + 1, false);
    await mic.close();
    mic.push(rtp({ ssrc: 1, seq: 2, ts: 960 }), T0 + 2, false);
    expect(mic.stats).toMatchObject({ rtpWritten: 1, droppedMalformed: 3, droppedAfterClose: 1 });
    expect(() => mic.push(rtp({ ssrc: 1, seq: 3, ts: 0 }), Number.NaN, false)).toThrow(RangeError);
    await part.close();
    const seg = await readSegment(path.join(root, 'erin', 's5', 'audio_1.rtpdump'));
    expect(seg.rtp.map((r) => r.packet.sequenceNumber)).toEqual([1]);
    expect(
      (await stat(path.join(root, 'erin', 's5', 'timing_metadata.json'))).size,
    ).toBeGreaterThan(0);
  });
});
