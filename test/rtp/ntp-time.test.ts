import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ntpToUnixMs, unixMsToNtp } from '../../src/rtp/ntp-time.js';

describe('ntpToUnixMs()', () => {
  it('converts the sender report rtptools wrote to 2000-05-21T20:05:11.843Z, keeping sub-ms precision', () => {
    const ms = ntpToUnixMs(0xbcd2bff7, 0xd7e6b8c9);
    expect(new Date(ms).toISOString()).toBe('2000-05-21T20:05:11.843Z');
    // 0xd7e6b8c9 / 2^32 s = 0.8433643… s
    expect(ms).toBeCloseTo(958939511843.3643, 3);
  });

  it('maps the Unix epoch and half a second exactly', () => {
    expect(ntpToUnixMs(2_208_988_800, 0)).toBe(0);
    expect(ntpToUnixMs(2_208_988_800, 0x8000_0000)).toBe(500);
  });

  it('reads seconds with the top bit clear as the era after 2036-02-07 (RFC 4330 §3)', () => {
    expect(new Date(ntpToUnixMs(0xffff_ffff, 0)).toISOString()).toBe('2036-02-07T06:28:15.000Z');
    expect(new Date(ntpToUnixMs(0, 0)).toISOString()).toBe('2036-02-07T06:28:16.000Z');
    expect(new Date(ntpToUnixMs(0x7fff_ffff, 0)).toISOString()).toBe('2104-02-26T09:42:23.000Z');
  });

  it('throws RangeError naming an argument that is not a 32-bit unsigned integer', () => {
    expect(() => ntpToUnixMs(-1, 0)).toThrow(/ntpSeconds/);
    expect(() => ntpToUnixMs(0, 2 ** 32)).toThrow(/ntpFraction/);
    expect(() => ntpToUnixMs(0.5, 0)).toThrow(RangeError);
  });
});

describe('unixMsToNtp()', () => {
  it('is the inverse of ntpToUnixMs() to within a microsecond across both eras', () => {
    const minMs = (2 ** 31 - 2_208_988_800) * 1000;
    const maxMs = (2 ** 31 + 2 ** 32 - 2_208_988_800) * 1000 - 1;
    fc.assert(
      fc.property(fc.double({ min: minMs, max: maxMs, noNaN: true }), (ms) => {
        const { ntpSeconds, ntpFraction } = unixMsToNtp(ms);
        expect(ntpSeconds).toBe(ntpSeconds >>> 0);
        expect(ntpFraction).toBe(ntpFraction >>> 0);
        expect(Math.abs(ntpToUnixMs(ntpSeconds, ntpFraction) - ms)).toBeLessThan(0.001);
      }),
      { seed: 4330, numRuns: 5000 },
    );
  });

  it('round-trips NTP timestamps to within a microsecond of fraction', () => {
    // The last second of the range is left out: rounding may carry it past 2104.
    const seconds = fc.nat({ max: 0xffff_ffff }).filter((s) => s !== 0x7fff_ffff);
    fc.assert(
      fc.property(seconds, fc.nat({ max: 0xffff_ffff }), (s, f) => {
        const back = unixMsToNtp(ntpToUnixMs(s, f));
        const ds = (back.ntpSeconds - s) | 0; // wrap-safe (0xffffffff → 0 is +1)
        const diff = ds * 2 ** 32 + (back.ntpFraction - f);
        expect(Math.abs(diff)).toBeLessThan(2 ** 32 / 1e6);
      }),
      { seed: 4331, numRuns: 5000 },
    );
  });

  it('carries a fraction that rounds up to a whole second into the seconds', () => {
    expect(unixMsToNtp(999.99999999999)).toEqual({ ntpSeconds: 2_208_988_801, ntpFraction: 0 });
  });

  it('throws RangeError outside 1968-01-20..2104-02-26 and for non-finite input', () => {
    expect(() => unixMsToNtp(Number.NaN)).toThrow(/unixMs/);
    expect(() => unixMsToNtp(Date.UTC(1960, 0, 1))).toThrow(RangeError);
    expect(() => unixMsToNtp(Date.UTC(2105, 0, 1))).toThrow(RangeError);
  });
});
