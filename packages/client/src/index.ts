export { TapedeckApiError, type TapedeckClientErrorCode } from './api-error.js';
export { TapedeckCall } from './call.js';
export { TapedeckClient, type CreateTokenOptions, type TapedeckClientOptions } from './client.js';
export { signHs256Jwt, type JwtSubtleCrypto } from './jwt.js';
export type { FetchLike } from './transport.js';
export type * from './types.js';
export {
  TapedeckWebhookError,
  verifyWebhook,
  type TapedeckWebhookErrorCode,
  type VerifyWebhookOptions,
  type WebhookHeaderSource,
  type WebhookSubtleCrypto,
} from './webhooks.js';
