/**
 * Secrets made for a test run (never real ones), remembered so that every service a test
 * starts can check that none of them ever appears in a response body or a log line (see
 * startTestService in test/calls/support.ts).
 */
import { createHash, randomBytes } from 'node:crypto';

const registered = new Set<string>();

/** A fresh random secret (hex), registered for the leak check. */
export function testSecret(bytes = 24): string {
  return registerSecret(randomBytes(bytes).toString('hex'));
}

/** Registers a secret made elsewhere (an API secret, a server's generated key). */
export function registerSecret(secret: string): string {
  if (secret.length >= 12) registered.add(secret);
  return secret;
}

/**
 * Fingerprints (never the values) of registered secrets that occur in `texts`, also in
 * their JSON-escaped form.
 */
export function leakedSecrets(texts: readonly string[]): string[] {
  const found: string[] = [];
  for (const secret of registered) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (texts.some((t) => t.includes(secret) || t.includes(escaped)))
      found.push(createHash('sha256').update(secret).digest('hex').slice(0, 12));
  }
  return found;
}
