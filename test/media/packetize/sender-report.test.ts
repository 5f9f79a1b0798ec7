import { describe, expect, it } from 'vitest';
import { buildSenderReport } from '../../../src/media/packetize/index.js';
import { ntpToUnixMs } from '../../../src/rtp/ntp-time.js';
import { parseRtcpCompound } from '../../../src/rtp/rtcp.js';

describe('buildSenderReport', () => {
  it('writes an SR (+ SDES CNAME) that parses back to the same clock pair and counts', () => {
    const bytes = buildSenderReport({
      ssrc: 42,
      ntpUnixMs: 1_714_557_600_123.5,
      rtpTimestamp: 0xffff_ff00,
      packetCount: 2 ** 32 + 5,
      octetCount: 1000,
      cname: 'alice-s1',
    });
    const [sr, sdes] = parseRtcpCompound(bytes);
    expect(sr).toMatchObject({
      type: 'sr',
      ssrc: 42,
      rtpTimestamp: 0xffff_ff00,
      packetCount: 5,
      octetCount: 1000,
    });
    if (sr?.type !== 'sr') throw new Error('expected an SR');
    expect(ntpToUnixMs(sr.ntpSeconds, sr.ntpFraction)).toBeCloseTo(1_714_557_600_123.5, 3);
    expect(sdes).toMatchObject({
      type: 'sdes',
      chunks: [{ ssrc: 42, items: [{ type: 1, text: 'alice-s1' }] }],
    });
  });

  it('without a cname the compound is the SR alone; bad fields throw RangeError naming them', () => {
    expect(
      parseRtcpCompound(
        buildSenderReport({
          ssrc: 1,
          ntpUnixMs: 1e12,
          rtpTimestamp: 0,
          packetCount: 0,
          octetCount: 0,
        }),
      ),
    ).toHaveLength(1);
    expect(() =>
      buildSenderReport({
        ssrc: 1,
        ntpUnixMs: 1e12,
        rtpTimestamp: 2 ** 32,
        packetCount: 0,
        octetCount: 0,
      }),
    ).toThrow(/init\.rtpTimestamp/);
    expect(() =>
      buildSenderReport({
        ssrc: 1.5,
        ntpUnixMs: 1e12,
        rtpTimestamp: 0,
        packetCount: 0,
        octetCount: 0,
      }),
    ).toThrow(/init\.ssrc/);
  });
});
