import { describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import { parseSdp } from '../../src/sdp/parse-sdp.js';
import { resolveCodec } from '../../src/sdp/resolve-codec.js';
import type { MediaDescription } from '../../src/sdp/types.js';
import {
  CHROME_OFFER,
  FFMPEG_H264,
  FFMPEG_OPUS,
  FFMPEG_PCMU,
  FFMPEG_VP8,
  FFMPEG_VP9,
  H264_ANSWER,
  VP8_FLEXFEC_ANSWER,
} from './sdp-examples.js';

function media(text: string, index = 0): MediaDescription {
  const found = parseSdp(text).media[index];
  if (!found) throw new Error(`no media ${index}`);
  return found;
}

function unsupported(m: MediaDescription): TapedeckError {
  try {
    resolveCodec(m);
  } catch (error) {
    if (error instanceof TapedeckError) return error;
    throw error;
  }
  throw new Error('expected UNSUPPORTED_CODEC');
}

describe('resolveCodec() on ffmpeg SDPs', () => {
  it('resolves ffmpeg Opus to opus/48000, 2 channels, with its fmtp', () => {
    const codec = resolveCodec(media(FFMPEG_OPUS));
    expect(codec).toEqual({
      payloadType: 111,
      name: 'opus',
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      fmtp: new Map([['sprop-stereo', '1']]),
      rtx: new Map(),
      redPayloadType: undefined,
      fecPayloadTypes: [],
    });
  });

  it('resolves ffmpeg VP8, VP9 and H264 with 0 channels and the H264 packetization-mode', () => {
    expect(resolveCodec(media(FFMPEG_VP8))).toMatchObject({
      payloadType: 96,
      name: 'VP8',
      mimeType: 'video/VP8',
      clockRate: 90000,
      channels: 0,
    });
    expect(resolveCodec(media(FFMPEG_VP9)).mimeType).toBe('video/VP9');
    const h264 = resolveCodec(media(FFMPEG_H264));
    expect(h264.name).toBe('H264');
    expect(h264.fmtp.get('packetization-mode')).toBe('1');
  });

  it('recognises static payload type 0 without an rtpmap as PCMU/8000 mono', () => {
    expect(resolveCodec(media(FFMPEG_PCMU))).toMatchObject({
      payloadType: 0,
      name: 'PCMU',
      mimeType: 'audio/PCMU',
      clockRate: 8000,
      channels: 1,
    });
  });

  it('recognises static payload type 8 as PCMA, and an explicit rtpmap overrides the static table', () => {
    expect(resolveCodec(media('m=audio 1 RTP/AVP 8')).name).toBe('PCMA');
    expect(resolveCodec(media('m=audio 1 RTP/AVP 0\na=rtpmap:0 opus/48000/2')).name).toBe('opus');
  });
});

describe('resolveCodec() on browser SDPs', () => {
  it('picks opus (not RED) in the Chrome offer and finds RED 63 whose fmtp lists 111', () => {
    const codec = resolveCodec(media(CHROME_OFFER, 0));
    expect(codec.payloadType).toBe(111);
    expect(codec.redPayloadType).toBe(63);
    expect(codec.fmtp.get('useinbandfec')).toBe('1');
  });

  it('skips a RED payload type listed first in m= and still picks opus', () => {
    const codec = resolveCodec(media(H264_ANSWER, 0));
    expect(codec.name).toBe('opus');
    expect(codec.payloadType).toBe(111);
    expect(codec.redPayloadType).toBe(63);
  });

  it('picks VP8 in the Chrome offer, maps its RTX 97 → 96 and RTX-for-RED 117 → 116, lists ULPFEC 118', () => {
    const codec = resolveCodec(media(CHROME_OFFER, 1));
    expect(codec.name).toBe('VP8');
    expect(codec.rtx).toEqual(
      new Map([
        [97, 96],
        [117, 116],
      ]),
    );
    expect(codec.redPayloadType).toBe(116);
    expect(codec.fecPayloadTypes).toEqual([118]);
  });

  it("picks the first H264 profile in m= order (106) with its own RTX only, not the other profile's", () => {
    const codec = resolveCodec(media(H264_ANSWER, 1));
    expect(codec.payloadType).toBe(106);
    expect(codec.fmtp.get('profile-level-id')).toBe('42e01f');
    expect(codec.rtx).toEqual(
      new Map([
        [107, 106],
        [117, 116],
      ]),
    );
    expect(codec.fecPayloadTypes).toEqual([118]);
  });

  it('lists FlexFEC as FEC, never as the codec', () => {
    const codec = resolveCodec(media(VP8_FLEXFEC_ANSWER));
    expect(codec.name).toBe('VP8');
    expect(codec.fecPayloadTypes).toEqual([35]);
    expect(codec.rtx).toEqual(new Map([[97, 96]]));
  });

  it('picks H264 when an unknown codec (H265) comes first', () => {
    const m = media('m=video 9 RTP/AVP 49 102\na=rtpmap:49 H265/90000\na=rtpmap:102 H264/90000\n');
    expect(resolveCodec(m).payloadType).toBe(102);
  });
});

describe('resolveCodec() names and refusals', () => {
  it('canonicalises encoding names: vp8 → VP8, OPUS → opus, h264 → H264, av1 and AV1X → AV1', () => {
    expect(resolveCodec(media('m=video 1 RTP/AVP 96\na=rtpmap:96 vp8/90000')).name).toBe('VP8');
    expect(resolveCodec(media('m=audio 1 RTP/AVP 96\na=rtpmap:96 OPUS/48000/2')).mimeType).toBe(
      'audio/opus',
    );
    expect(resolveCodec(media('m=video 1 RTP/AVP 96\na=rtpmap:96 h264/90000')).name).toBe('H264');
    expect(resolveCodec(media('m=video 1 RTP/AVP 45\na=rtpmap:45 AV1/90000')).mimeType).toBe(
      'video/AV1',
    );
    expect(resolveCodec(media('m=video 1 RTP/AVP 35\na=rtpmap:35 AV1X/90000')).name).toBe('AV1');
  });

  it('ignores a RED whose fmtp lists other payload types, and an rtx without apt', () => {
    const m = media(
      'm=audio 1 RTP/AVP 111 63 96\na=rtpmap:111 opus/48000/2\na=rtpmap:63 red/48000/2\na=fmtp:63 100/100\na=rtpmap:96 rtx/48000\n',
    );
    const codec = resolveCodec(m);
    expect(codec.redPayloadType).toBeUndefined();
    expect(codec.rtx.size).toBe(0);
  });

  it('throws UNSUPPORTED_CODEC listing the payload types when only rtx, red, CN and telephone-event are offered', () => {
    const error = unsupported(
      media(
        'm=audio 1 RTP/AVP 97 63 13 101\na=rtpmap:97 rtx/48000\na=rtpmap:63 red/48000/2\na=rtpmap:101 telephone-event/8000\n',
      ),
    );
    expect(error.code).toBe('UNSUPPORTED_CODEC');
    expect(error.message).toBe(
      'no supported codec in m=audio section (payload types 97 rtx/48000, 63 red/48000, 13 CN/8000, 101 telephone-event/8000)',
    );
  });

  it('throws UNSUPPORTED_CODEC for a video codec in an audio section, and for a data channel', () => {
    expect(unsupported(media('m=audio 1 RTP/AVP 96\na=rtpmap:96 VP8/90000')).code).toBe(
      'UNSUPPORTED_CODEC',
    );
    expect(unsupported(media(CHROME_OFFER, 2)).message).toContain('no payload types');
  });

  it('throws UNSUPPORTED_CODEC for a dynamic payload type without an rtpmap', () => {
    expect(unsupported(media('m=video 1 RTP/AVP 96')).message).toContain('96 (no rtpmap)');
  });
});
