/**
 * Encryption at rest for storage credentials and signing keys: AES-256-GCM with a key
 * derived from the server's API secret by HKDF-SHA256 under a purpose label, so the
 * sealed bytes share nothing with token signing or download-URL signing.
 *
 * ```text
 * sealed = "v1." base64url( iv[12] | ciphertext | tag[16] )
 * key    = HKDF-SHA256(ikm = api secret, salt = "tapedeck", info = purpose, 32 bytes)
 * ```
 * `associatedData` binds a sealed value to its owner (for example the storage name), so a
 * value copied to another row does not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { TapedeckError } from '../errors.js';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type SecretBox = {
  seal(plaintext: string, associatedData?: string): string;
  /** Throws INTERNAL (no detail about the value) when the seal is not this box's. */
  open(sealed: string, associatedData?: string): string;
};

export function createSecretBox(
  apiSecret: string,
  purpose = 'tapedeck storage credentials v1',
): SecretBox {
  if (typeof apiSecret !== 'string' || apiSecret === '')
    throw new TypeError('apiSecret must be a non-empty string');
  const key = Buffer.from(hkdfSync('sha256', apiSecret, 'tapedeck', purpose, 32));
  return {
    seal(plaintext, associatedData = '') {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed, associatedData = '') {
      const raw = sealed.startsWith(VERSION)
        ? Buffer.from(sealed.slice(VERSION.length), 'base64url')
        : undefined;
      if (raw === undefined || raw.length < IV_BYTES + TAG_BYTES)
        throw new TapedeckError('INTERNAL', 'a sealed secret is malformed');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw new TapedeckError(
          'INTERNAL',
          'a sealed secret does not open with this server secret',
          { cause },
        );
      }
    },
  };
}
