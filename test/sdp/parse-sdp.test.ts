import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { parseSdp } from '../../src/sdp/parse-sdp.js';
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

function parseError(text: string): ParseError {
  try {
    parseSdp(text);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

describe('parseSdp() on SDPs ffmpeg writes', () => {
  it('reads the Opus SDP: session lines, one audio section, rtpmap 111 opus/48000/2 and fmtp sprop-stereo=1', () => {
    const sdp = parseSdp(FFMPEG_OPUS);
    expect(sdp.version).toBe(0);
    expect(sdp.origin).toBe('- 0 0 IN IP4 127.0.0.1');
    expect(sdp.sessionName).toBe('No Name');
    expect(sdp.connection).toBe('IN IP4 127.0.0.1');
    expect(sdp.attributes).toEqual([['tool', 'libavformat LIBAVFORMAT_VERSION']]);
    expect(sdp.media).toHaveLength(1);
    const audio = sdp.media[0]!;
    expect(audio.media).toBe('audio');
    expect(audio.port).toBe(45004);
    expect(audio.protocol).toBe('RTP/AVP');
    expect(audio.formats).toEqual([111]);
    expect(audio.rtpmaps.get(111)).toEqual({
      payloadType: 111,
      encodingName: 'opus',
      clockRate: 48000,
      channels: 2,
    });
    expect(audio.fmtps.get(111)).toEqual(new Map([['sprop-stereo', '1']]));
    expect(audio.direction).toBeUndefined();
    expect(audio.mid).toBeUndefined();
    expect(audio.ssrcs).toEqual([]);
  });

  it('reads VP8 and VP9 as one rtpmap without channels', () => {
    expect(parseSdp(FFMPEG_VP8).media[0]!.rtpmaps.get(96)).toEqual({
      payloadType: 96,
      encodingName: 'VP8',
      clockRate: 90000,
      channels: undefined,
    });
    expect(parseSdp(FFMPEG_VP9).media[0]!.rtpmaps.get(96)?.encodingName).toBe('VP9');
  });

  it('splits the H264 fmtp on "; " and keeps base64 values with their "=" padding and case', () => {
    const fmtp = parseSdp(FFMPEG_H264).media[0]!.fmtps.get(96);
    expect(fmtp).toEqual(
      new Map([
        ['packetization-mode', '1'],
        ['sprop-parameter-sets', 'Z/QACpGbKFCPxOAiAAADAAIAAAMAKB4kSyw=,aOvjxEhE'],
        ['profile-level-id', 'F4000A'],
      ]),
    );
  });

  it('reads a static payload type with no rtpmap as a format without an rtpmap', () => {
    const audio = parseSdp(FFMPEG_PCMU).media[0]!;
    expect(audio.formats).toEqual([0]);
    expect(audio.rtpmaps.size).toBe(0);
  });
});

describe('parseSdp() on browser SDPs', () => {
  const offer = parseSdp(CHROME_OFFER);

  it('keeps every rtpmap and fmtp of a section, in a map per payload type', () => {
    const [audio, video] = offer.media;
    expect(audio!.formats).toEqual([111, 63, 9, 0, 8, 13, 110, 126]);
    expect([...audio!.rtpmaps.keys()]).toEqual([111, 63, 9, 0, 8, 13, 110, 126]);
    expect(audio!.fmtps.get(63)).toEqual(new Map([['111/111', '']]));
    expect(audio!.fmtps.get(111)).toEqual(
      new Map([
        ['minptime', '10'],
        ['useinbandfec', '1'],
      ]),
    );
    expect(video!.rtpmaps.size).toBe(13);
    expect(video!.fmtps.get(97)).toEqual(new Map([['apt', '96']]));
    expect(video!.fmtps.get(104)?.get('packetization-mode')).toBe('0');
    expect(video!.rtpmaps.get(118)?.encodingName).toBe('ulpfec');
  });

  it('reads mid, direction, media-level c=, a=ssrc lines and a=ssrc-group', () => {
    const [audio, video] = offer.media;
    expect(audio!.mid).toBe('0');
    expect(audio!.direction).toBe('sendonly');
    expect(audio!.connection).toBe('IN IP4 0.0.0.0');
    expect(audio!.ssrcs).toEqual([
      { ssrc: 1001, attribute: 'cname', value: '4TOk42mSjXCkVIa6' },
      { ssrc: 1001, attribute: 'msid', value: 'stream1 track1' },
    ]);
    expect(video!.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [2001, 2002] }]);
    expect(video!.ssrcs.map((s) => s.ssrc)).toEqual([2001, 2001, 2002, 2002]);
  });

  it('keeps session-level attributes apart from media attributes, and every media a= line in order', () => {
    expect(offer.attributes).toEqual([
      ['group', 'BUNDLE 0 1'],
      ['extmap-allow-mixed', undefined],
      ['msid-semantic', ' WMS stream1'],
    ]);
    const audio = offer.media[0]!;
    expect(audio.attributes[0]).toEqual(['rtcp', '9 IN IP4 0.0.0.0']);
    expect(audio.attributes.filter(([name]) => name === 'rtpmap')).toHaveLength(8);
  });

  it('reads a data channel section (non-RTP protocol) with no payload types', () => {
    const app = offer.media[2]!;
    expect(app.media).toBe('application');
    expect(app.protocol).toBe('UDP/DTLS/SCTP');
    expect(app.formats).toEqual([]);
    expect(app.mid).toBe('2');
  });

  it('reads LF-only text the same as CRLF text', () => {
    const answer = parseSdp(H264_ANSWER);
    const crlf = parseSdp(H264_ANSWER.replace(/\n/g, '\r\n'));
    expect(crlf).toEqual(answer);
    expect(answer.media[1]!.direction).toBe('recvonly');
  });

  it('reads FlexFEC and two ssrc groups', () => {
    const video = parseSdp(VP8_FLEXFEC_ANSWER).media[0]!;
    expect(video.rtpmaps.get(35)?.encodingName).toBe('flexfec-03');
    expect(video.ssrcGroups).toEqual([
      { semantics: 'FID', ssrcs: [3001, 3002] },
      { semantics: 'FEC-FR', ssrcs: [3001, 3003] },
    ]);
  });
});

describe('parseSdp() tolerance', () => {
  it('ignores unknown line types, lines without "=", blank lines and surrounding whitespace', () => {
    const sdp = parseSdp(
      [
        '  v=0  ',
        'garbage line',
        '',
        'x=whatever',
        'b=AS:30',
        'm=audio 5004 RTP/AVP 0',
        'i=info',
        'k=clear:key',
        '  a=recvonly\t',
      ].join('\n'),
    );
    expect(sdp.media[0]!.formats).toEqual([0]);
    expect(sdp.media[0]!.direction).toBe('recvonly');
    expect(sdp.origin).toBeUndefined();
  });

  it('keeps an unreadable fmtp or ssrc line as an attribute without structured meaning', () => {
    const media = parseSdp(
      'm=video 1 RTP/AVP 96\na=fmtp:x apt=1\na=ssrc:notanumber cname:x\na=ssrc-group:FID 1 x\n',
    ).media[0]!;
    expect(media.fmtps.size).toBe(0);
    expect(media.ssrcs).toEqual([]);
    expect(media.ssrcGroups).toEqual([]);
    expect(media.attributes).toHaveLength(3);
  });

  it('lets the last rtpmap for a payload type win', () => {
    const media = parseSdp('m=video 1 RTP/AVP 96\na=rtpmap:96 VP8/90000\na=rtpmap:96 VP9/90000\n')
      .media[0]!;
    expect(media.rtpmaps.get(96)?.encodingName).toBe('VP9');
  });

  it('reads an m= port with a port count', () => {
    expect(parseSdp('m=audio 5004/2 RTP/AVP 0').media[0]!.port).toBe(5004);
  });
});

describe('parseSdp() errors', () => {
  it('throws SDP_INVALID naming line 3 for an m= line without a protocol', () => {
    const error = parseError('v=0\ns=x\nm=audio 5004\n');
    expect(error.code).toBe('SDP_INVALID');
    expect(error.offset).toBe(3);
    expect(error.message).toBe('SDP: malformed m= line "m=audio 5004" (at 3)');
  });

  it('throws SDP_INVALID for an m= port that is not a number or above 65535', () => {
    expect(parseError('m=audio x RTP/AVP 0').offset).toBe(1);
    expect(parseError('m=audio 65536 RTP/AVP 0').message).toContain('bad port');
  });

  it('throws SDP_INVALID for an RTP payload type outside 0..127', () => {
    const error = parseError('v=0\r\nm=video 9 RTP/AVP 96 128\r\n');
    expect(error.offset).toBe(2);
    expect(error.message).toContain('payload type "128" is not in 0..127');
  });

  it('throws SDP_INVALID at the line of a malformed a=rtpmap', () => {
    for (const line of [
      'a=rtpmap:96',
      'a=rtpmap:96 VP8',
      'a=rtpmap:96 VP8/0',
      'a=rtpmap:200 VP8/90000',
      'a=rtpmap:96 /90000',
      'a=rtpmap:96 opus/48000/2/1',
      'a=rtpmap:x VP8/90000',
    ]) {
      const error = parseError(`v=0\nm=video 9 RTP/AVP 96\n${line}\n`);
      expect(error.code).toBe('SDP_INVALID');
      expect(error.offset).toBe(3);
      expect(error.message).toContain('malformed a=rtpmap line');
    }
  });

  it('throws SDP_INVALID for a v= line that is not a number', () => {
    expect(parseError('v=zero\nm=audio 1 RTP/AVP 0').message).toBe(
      'SDP: malformed v= line "v=zero" (at 1)',
    );
  });

  it('throws "SDP without media" when there is no m= line', () => {
    const error = parseError('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\n');
    expect(error.code).toBe('SDP_INVALID');
    expect(error.message).toContain('SDP without media');
    expect(parseError('').message).toContain('SDP without media');
  });

  it('throws TypeError for a value that is not a string', () => {
    expect(() => parseSdp(42 as unknown as string)).toThrow(TypeError);
  });
});
