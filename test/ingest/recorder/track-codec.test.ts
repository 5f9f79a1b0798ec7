import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTimingMetadataText } from '../../../src/archive/timing-metadata.js';
import { CallPartRecorder } from '../../../src/ingest/recorder/index.js';
import { parseSdp, resolveCodec } from '../../../src/sdp/index.js';
import { removeDir, rtp, tempDir, vp8Keyframe } from './synthetic-packets.js';

let dir: string;
let root: string;
const T0 = 1_714_557_600_000;

beforeEach(async () => {
  dir = await tempDir();
  root = path.join(dir, 'part');
});
afterEach(async () => {
  await removeDir(dir);
});

const openPart = (): Promise<CallPartRecorder> =>
  CallPartRecorder.open({
    root,
    callType: 'default',
    callId: 'c1',
    callSessionId: 'cs1',
    callStartMs: T0,
  });

async function segmentCodec(base: string) {
  const text = await readFile(path.join(root, 'alice', 's1', `${base}.sdp`), 'utf8');
  return resolveCodec(parseSdp(text).media[0]!);
}

describe('segment SDP from a codec', () => {
  it('a ResolvedCodec with RED and two RTX types is written whole: the toolkit resolves the same codec from the segment SDP', async () => {
    const offer = [
      'v=0',
      'm=audio 9 RTP/AVP 111 63 112 113',
      'a=rtpmap:111 opus/48000/2',
      'a=fmtp:111 minptime=10;useinbandfec=1',
      'a=rtpmap:63 red/48000/2',
      'a=rtpmap:112 rtx/48000',
      'a=fmtp:112 apt=111',
      'a=rtpmap:113 rtx/48000',
      'a=fmtp:113 apt=63',
      '',
    ].join('\r\n');
    const codec = resolveCodec(parseSdp(offer).media[0]!);
    const part = await openPart();
    const mic = part.track('alice', 's1', { trackId: 'mic', kind: 'audio', codec });
    mic.push(rtp({ ssrc: 1, seq: 1, ts: 0, pt: 63, payload: [0x6f, 0xfc] }), T0, false);
    mic.push(rtp({ ssrc: 9, seq: 1, ts: 0, pt: 112, payload: [0, 1, 0xfc] }), T0 + 1, false);
    await part.close();
    const written = await segmentCodec('audio_1');
    expect(written).toMatchObject({ payloadType: 111, redPayloadType: 63, channels: 2 });
    expect([...written.rtx]).toEqual([...codec.rtx]);
    expect([...written.fmtp]).toEqual([
      ['minptime', '10'],
      ['useinbandfec', '1'],
    ]);
    expect(mic.stats).toMatchObject({ segments: 1, rtpWritten: 2 });
  });

  it('republish() with a new codec ends the segment; the next one carries the new codec in its SDP and metadata', async () => {
    const part = await openPart();
    const cam = part.track('alice', 's1', {
      trackId: 'cam',
      kind: 'video',
      codec: { name: 'VP8', payloadType: 96 },
    });
    cam.push(rtp({ ssrc: 1, seq: 1, ts: 0, pt: 96, payload: vp8Keyframe(320, 240) }), T0, false);
    expect(() => cam.republish({ codec: { name: 'opus', payloadType: 111 } })).toThrow(RangeError);
    await cam.republish({
      codec: { name: 'H264', payloadType: 102, fmtp: { 'packetization-mode': '1' } },
    });
    cam.push(
      rtp({ ssrc: 1, seq: 2, ts: 3000, pt: 102, payload: [0x65, 0x88, 0x80] }),
      T0 + 40,
      false,
    );
    await part.close();
    expect((await segmentCodec('video_1')).mimeType).toBe('video/VP8');
    expect((await segmentCodec('video_2')).mimeType).toBe('video/H264');
    const file = path.join(root, 'alice', 's1', 'timing_metadata.json');
    const m = parseTimingMetadataText(await readFile(file, 'utf8'), file);
    expect(m.segments.video.map((s) => [s.baseFilename, s.codec, s.firstKeyFrameOffsetMs])).toEqual(
      [
        ['video_1', 'video/VP8', 0],
        ['video_2', 'video/H264', 0],
      ],
    );
  });
});
