/**
 * What an HTTP status from a webhook endpoint means for delivery:
 *
 * | status                      | verdict     |
 * |-----------------------------|-------------|
 * | 2xx                         | `delivered` |
 * | 410 Gone                    | `gone` (stop; the endpoint says it no longer exists) |
 * | 408, 429, 5xx               | `retry` (the receiver's transient trouble) |
 * | other 1xx/3xx/4xx           | `rejected` (stop; retrying the same request cannot help) |
 *
 * Redirects are not followed, so a 3xx is a misconfigured URL: `rejected`.
 */
export type WebhookStatusVerdict = 'delivered' | 'gone' | 'retry' | 'rejected';

export function classifyWebhookStatus(status: number): WebhookStatusVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}
