export {
  TapedeckWebhookError,
  verifyWebhook,
  type TapedeckWebhookErrorCode,
  type VerifyWebhookOptions,
  type WebhookHeaderSource,
  type WebhookSubtleCrypto,
} from './webhooks.js';
