/**
 * The leak check every test service runs at stop() (test/calls/support.ts) can fail: a
 * registered secret that reaches a log line (here, through a request URL fastify logs)
 * makes stop() throw, naming only the secret's hash prefix.
 */
import { describe, expect, it } from 'vitest';
import { startTestService } from '../calls/support.js';
import { testSecret } from '../helpers/test-secrets.js';

describe('the secret leak check of test services', () => {
  it('throws at stop() when a registered secret appeared in a log line, without printing it', async () => {
    const t = await startTestService();
    const secret = testSecret();
    expect((await t.api('GET', `/v1/no-such-route?token=${secret}`)).status).toBe(404);
    const error = await t.stop().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^secrets \(sha256 prefixes [0-9a-f]{12}\) appeared/);
    expect(error?.message).not.toContain(secret);
  });

  it('passes when nothing leaked', async () => {
    const t = await startTestService();
    expect((await t.api('GET', '/healthz', undefined, null)).status).toBe(200);
    await t.stop();
  });
});
