/** What `tapedeck token` does: read the configuration and the API secret, mint a token. */
import { requireApiSecret } from '../../config/api-secret.js';
import { loadConfigFromEnv } from '../../config/load-config-node.js';
import { mintServerToken, mintUserToken } from './tokens.js';

export type TokenRequest =
  | { readonly kind: 'server' }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly ttlSeconds: number;
      readonly callCids?: readonly string[];
    };

/** A token signed with the configured or stored API secret (never generates one). */
export async function mintTokenFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  request: TokenRequest,
): Promise<string> {
  const config = await loadConfigFromEnv(env);
  const { secret } = await requireApiSecret(config);
  if (request.kind === 'server') return mintServerToken(secret);
  return mintUserToken(secret, {
    userId: request.userId,
    ttlSeconds: request.ttlSeconds,
    ...(request.callCids !== undefined ? { callCids: request.callCids } : {}),
  });
}
