export { backoffDelayMs, parseRetryAfterMs } from './backoff.js';
export { classifyWebhookStatus, type WebhookStatusVerdict } from './classify.js';
export {
  generateWebhookSecret,
  parseWebhookSecret,
  parseWebhookSecrets,
  WEBHOOK_SECRET_MAX_BYTES,
  WEBHOOK_SECRET_MIN_BYTES,
  WEBHOOK_SECRET_PREFIX,
} from './secret.js';
export {
  WebhookSender,
  type WebhookAttempt,
  type WebhookAttemptResult,
  type WebhookDeliveryReport,
  type WebhookEvent,
  type WebhookSenderOptions,
} from './sender.js';
export { signWebhook, type SignWebhookOptions, type WebhookHeaders } from './sign.js';
export { verifyWebhook, type VerifyWebhookOptions, type WebhookHeaderSource } from './verify.js';
