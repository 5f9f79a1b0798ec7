/** Where a remote archive lives, parsed from `input.remote`. */
export type RemoteLocation =
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly key: string;
      /** `s3://bucket/key`: used in messages and, with the endpoint, as the cache key. */
      readonly label: string;
    }
  | {
      readonly kind: 'http';
      readonly url: URL;
      /** The URL without query string or fragment (no presigned signature in messages). */
      readonly label: string;
    };

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Parses `s3://bucket/key` (the key taken literally, slashes included) or an `https://`
 * URL (a presigned URL, typically). Plain `http://` is accepted only for loopback hosts
 * (127.0.0.0/8, ::1, localhost), so tests can serve archives locally without a
 * certificate while nothing real ever travels unencrypted. Bad input is a `TypeError`
 * naming `input.remote`.
 */
export function parseRemoteLocation(remote: string): RemoteLocation {
  if (typeof remote !== 'string' || remote.length === 0) {
    throw new TypeError('input.remote must be a non-empty string');
  }
  if (remote.startsWith('s3://')) {
    const rest = remote.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(bucket) || key.length === 0) {
      throw new TypeError(`input.remote must look like s3://bucket/key, got ${JSON.stringify(remote)}`);
    }
    return { kind: 's3', bucket, key, label: `s3://${bucket}/${key}` };
  }
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    throw new TypeError(`input.remote must be s3://bucket/key or an https:// URL, got ${JSON.stringify(remote)}`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new TypeError('input.remote: plain http:// is allowed only for loopback hosts; use https://');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`input.remote must be s3://bucket/key or an https:// URL, got protocol ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('input.remote must not carry credentials in the URL');
  }
  return { kind: 'http', url, label: `${url.origin}${url.pathname}` };
}
