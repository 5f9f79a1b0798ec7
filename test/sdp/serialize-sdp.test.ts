import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { buildRecordingSdp } from '../../src/sdp/build-recording-sdp.js';
import { parseSdp } from '../../src/sdp/parse-sdp.js';
import { resolveCodec } from '../../src/sdp/resolve-codec.js';
import { serializeSdp } from '../../src/sdp/serialize-sdp.js';
import { sdpLikeText, sessionDescription, structure } from './sdp-arbitraries.js';
import { CHROME_OFFER, FFMPEG_H264, FFMPEG_OPUS, H264_ANSWER } from './sdp-examples.js';

describe('serializeSdp()', () => {
  it('writes the ffmpeg Opus SDP back line for line, minus the b= line it does not model', () => {
    const text = serializeSdp(parseSdp(FFMPEG_OPUS));
    expect(text).toBe(FFMPEG_OPUS.replace('b=AS:96\r\n', ''));
  });

  it('writes the H264 fmtp with "; " separators, as ffmpeg does', () => {
    expect(serializeSdp(parseSdp(FFMPEG_H264))).toBe(FFMPEG_H264);
  });

  it('writes a browser offer that parses back to the same structure', () => {
    for (const text of [CHROME_OFFER, H264_ANSWER]) {
      const parsed = parseSdp(text);
      expect(structure(parseSdp(serializeSdp(parsed)))).toEqual(structure(parsed));
    }
  });

  it('writes an edited structure: a dropped rtpmap is gone from the output', () => {
    const parsed = parseSdp(H264_ANSWER);
    const video = parsed.media[1]!;
    const rtpmaps = new Map([...video.rtpmaps].filter(([pt]) => pt === 106));
    const edited = { ...parsed, media: [{ ...video, formats: [106], rtpmaps, fmtps: new Map() }] };
    const text = serializeSdp(edited);
    expect(text).toContain('m=video 9 UDP/TLS/RTP/SAVPF 106\r\n');
    expect(text).not.toContain('a=rtpmap:107');
    expect(text).not.toContain('a=fmtp');
  });

  it('property: parseSdp(serializeSdp(d)) has the structure of d, and serializing again gives the same text', () => {
    fc.assert(
      fc.property(sessionDescription, (desc) => {
        const text = serializeSdp(desc);
        const parsed = parseSdp(text);
        expect(structure(parsed)).toEqual(structure(desc));
        expect(serializeSdp(parsed)).toBe(text);
      }),
      { seed: 0x5d9, numRuns: 1000 },
    );
  });

  it('property: for any SDP-like text that parses, one serialize pass reaches a fixpoint', () => {
    fc.assert(
      fc.property(sdpLikeText, (text) => {
        let parsed;
        try {
          parsed = parseSdp(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ParseError);
          return;
        }
        const once = serializeSdp(parsed);
        const reparsed = parseSdp(once);
        expect(structure(reparsed)).toEqual(structure(parsed));
        expect(serializeSdp(reparsed)).toBe(once);
      }),
      { seed: 0x5da, numRuns: 3000 },
    );
  });

  it('throws RangeError naming the field for a value with a line break or an out-of-range port', () => {
    const desc = parseSdp(FFMPEG_OPUS);
    expect(() => serializeSdp({ ...desc, sessionName: 'a\nb' })).toThrow(
      'desc.sessionName must not contain a line break',
    );
    expect(() => serializeSdp({ ...desc, media: [{ ...desc.media[0]!, port: 70000 }] })).toThrow(
      'desc.media[0].port must be an integer in 0..65535, got 70000',
    );
    expect(() => serializeSdp({ ...desc, media: [] })).toThrow(RangeError);
  });
});

describe('buildRecordingSdp()', () => {
  it("writes an Opus SDP shaped like ffmpeg's RTP sender output", () => {
    const text = buildRecordingSdp({
      kind: 'audio',
      codec: 'opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      fmtp: { 'sprop-stereo': '1' },
    });
    expect(text).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=tapedeck',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'a=tool:tapedeck',
        'm=audio 5004 RTP/AVP 111',
        'a=rtpmap:111 opus/48000/2',
        'a=fmtp:111 sprop-stereo=1',
        '',
      ].join('\r\n'),
    );
  });

  it('writes VP8 with RTX, an FID group and a=ssrc lines (RTX first, the media SSRC last)', () => {
    const text = buildRecordingSdp({
      kind: 'video',
      codec: 'video/VP8',
      payloadType: 96,
      clockRate: 90000,
      rtx: { payloadType: 97, ssrc: 2222 },
      ssrc: 1111,
      port: 40000,
    });
    expect(text.split('\r\n').slice(6)).toEqual([
      'm=video 40000 RTP/AVP 96 97',
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:97 rtx/90000',
      'a=fmtp:97 apt=96',
      'a=ssrc-group:FID 1111 2222',
      'a=ssrc:2222 cname:tapedeck',
      'a=ssrc:1111 cname:tapedeck',
      '',
    ]);
    const codec = resolveCodec(parseSdp(text).media[0]!);
    expect(codec).toMatchObject({ payloadType: 96, name: 'VP8', clockRate: 90000 });
    expect(codec.rtx).toEqual(new Map([[97, 96]]));
  });

  it('writes H264 with packetization-mode=1 that resolves back to the same codec and fmtp', () => {
    const text = buildRecordingSdp({
      kind: 'video',
      codec: 'H264',
      payloadType: 102,
      clockRate: 90000,
      fmtp: new Map([
        ['packetization-mode', '1'],
        ['profile-level-id', '42e01f'],
      ]),
    });
    expect(text).toContain('a=fmtp:102 packetization-mode=1; profile-level-id=42e01f\r\n');
    expect(resolveCodec(parseSdp(text).media[0]!).fmtp.get('profile-level-id')).toBe('42e01f');
  });

  it('defaults Opus to 2 channels and other audio to 1, and writes no channels for video', () => {
    expect(
      buildRecordingSdp({ kind: 'audio', codec: 'opus', payloadType: 111, clockRate: 48000 }),
    ).toContain('a=rtpmap:111 opus/48000/2\r\n');
    expect(
      buildRecordingSdp({ kind: 'audio', codec: 'PCMU', payloadType: 0, clockRate: 8000 }),
    ).toContain('a=rtpmap:0 PCMU/8000/1\r\n');
    expect(
      buildRecordingSdp({
        kind: 'video',
        codec: 'VP9',
        payloadType: 98,
        clockRate: 90000,
        channels: 2,
      }),
    ).toContain('a=rtpmap:98 VP9/90000\r\n');
  });

  it('throws RangeError/TypeError naming the option for bad arguments', () => {
    const ok = { kind: 'video', codec: 'VP8', payloadType: 96, clockRate: 90000 } as const;
    expect(() => buildRecordingSdp({ ...ok, payloadType: 128 })).toThrow(
      'options.payloadType must be an integer in 0..127, got 128',
    );
    expect(() => buildRecordingSdp({ ...ok, clockRate: 0 })).toThrow(RangeError);
    expect(() => buildRecordingSdp({ ...ok, codec: 'audio/opus' })).toThrow(
      'options.codec "audio/opus" is not a video type',
    );
    expect(() => buildRecordingSdp({ ...ok, codec: 'V P8' })).toThrow(TypeError);
    expect(() => buildRecordingSdp({ ...ok, rtx: { payloadType: 96 } })).toThrow(
      'options.rtx.payloadType must differ',
    );
    expect(() => buildRecordingSdp({ ...ok, ssrc: 2 ** 32 })).toThrow('options.ssrc');
    expect(() => buildRecordingSdp({ ...ok, fmtp: { a: 'x;y' } })).toThrow('options.fmtp');
    expect(() => buildRecordingSdp({ ...ok, address: 'example.com' })).toThrow('options.address');
    expect(() => buildRecordingSdp({ ...ok, ssrc: 1, cname: 'a\nb' })).toThrow('options.cname');
    expect(buildRecordingSdp({ ...ok, ssrc: 1, cname: 'alice@example.com/s 1' })).toContain(
      'a=ssrc:1 cname:alice@example.com/s 1\r\n',
    );
  });
});
