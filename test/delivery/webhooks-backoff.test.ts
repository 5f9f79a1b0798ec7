import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  classifyWebhookStatus,
  parseRetryAfterMs,
} from '../../src/delivery/webhooks/index.js';

describe('backoffDelayMs()', () => {
  it('is floor(random · min(maxDelayMs, initialDelayMs · 2^(retry-1))) and never reaches that ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, initialDelayMs, maxDelayMs, r) => {
          const d = backoffDelayMs(retry, { initialDelayMs, maxDelayMs, random: () => r });
          const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(retry - 1, 52));
          expect(d).toBe(Math.floor(r * ceiling));
          expect(d).toBeGreaterThanOrEqual(0);
          if (ceiling > 0) expect(d).toBeLessThan(ceiling);
          else expect(d).toBe(0);
          expect(Number.isSafeInteger(d)).toBe(true);
        },
      ),
      { seed: 20260101, numRuns: 2000 },
    );
  });

  it('clamps a misbehaving random source into [0, 1] and rejects retry < 1', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, { ...options, random: () => 5 })).toBe(100);
    expect(backoffDelayMs(1, { ...options, random: () => -1 })).toBe(0);
    expect(backoffDelayMs(1, { ...options, random: () => Number.NaN })).toBe(0);
    expect(() => backoffDelayMs(0, { ...options, random: Math.random })).toThrow(/^retry must be/);
  });
});

describe('parseRetryAfterMs()', () => {
  const now = Date.UTC(2026, 0, 1);
  it('reads delta-seconds and HTTP-dates (RFC 9110 §10.2.3); a past date is 0; junk and absence are undefined', () => {
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('-5', now)).toBeUndefined();
    expect(parseRetryAfterMs('1.5', now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('classifyWebhookStatus()', () => {
  it('maps every status from 100 to 599 to exactly one verdict by the documented table', () => {
    for (let status = 100; status < 600; status++) {
      const verdict = classifyWebhookStatus(status);
      const expected =
        status >= 200 && status < 300
          ? 'delivered'
          : status === 410
            ? 'gone'
            : status === 408 || status === 429 || status >= 500
              ? 'retry'
              : 'rejected';
      expect(verdict, String(status)).toBe(expected);
    }
  });
});
