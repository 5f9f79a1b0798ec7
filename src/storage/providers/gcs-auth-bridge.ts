/**
 * Lets @google-cloud/storage 7 (built on google-auth-library 9) use an `AuthClient` from
 * the project's google-auth-library 10.
 *
 * ```text
 * storage 7 ──▶ GoogleAuth (v9) ──▶ bridge.getRequestHeaders(url) ──▶ client (v10)
 *                                   bridge.request(opts)             headers: Headers → plain object
 * ```
 *
 * v10 returns `Headers` objects where v9 callers expect plain objects
 * (`Object.assign(opts.headers, headers)` would silently drop `Authorization`, and the
 * resumable upload reads `res.headers.location`), so both directions are converted here.
 */
import type { AuthClient } from 'google-auth-library';

type PlainHeaders = Record<string, string>;

function toPlain(headers: unknown): PlainHeaders {
  if (
    headers &&
    typeof (headers as Headers).forEach === 'function' &&
    !(headers instanceof Array)
  ) {
    const out: PlainHeaders = {};
    (headers as Headers).forEach((value, key) => {
      out[key] = value;
    });
    return out;
  }
  return { ...(headers as PlainHeaders | undefined) };
}

/** The members GoogleAuth (v9) and the resumable upload call on their auth client. */
export type GcsAuthBridge = {
  readonly universeDomain: string;
  getRequestHeaders(url?: string): Promise<PlainHeaders>;
  getAccessToken(): Promise<{ token?: string | null }>;
  request(opts: Record<string, unknown>): Promise<unknown>;
};

export function bridgeAuthClient(client: AuthClient): GcsAuthBridge {
  return {
    universeDomain: 'googleapis.com',
    async getRequestHeaders(url?: string) {
      return toPlain(await client.getRequestHeaders(url));
    },
    async getAccessToken() {
      const { token } = await client.getAccessToken();
      return { token: token ?? null };
    },
    async request(opts: Record<string, unknown>) {
      const body = opts['body'] as { pipe?: unknown } | undefined;
      const v10Opts: Record<string, unknown> = { ...opts };
      // Fetch needs `duplex: 'half'` to send a stream body.
      if (body && typeof body.pipe === 'function') v10Opts['duplex'] = 'half';
      const res = (await client.request(v10Opts)) as unknown as Record<string, unknown>;
      return { ...res, headers: toPlain(res['headers']) };
    },
  };
}

/** The service account a client acts as, when it can tell (for signing URLs). */
export function serviceAccountEmailOf(client: AuthClient): string | undefined {
  const c = client as unknown as Record<string, unknown>;
  const fromMethod = (name: string): string | undefined => {
    const fn = c[name];
    if (typeof fn !== 'function') return undefined;
    const value: unknown = (fn as () => unknown).call(client);
    return typeof value === 'string' && value.includes('@') ? value : undefined;
  };
  const email = c['email'];
  return (
    fromMethod('getServiceAccountEmail') ??
    fromMethod('getTargetPrincipal') ??
    (typeof email === 'string' && email.includes('@') ? email : undefined)
  );
}
