/**
 * Loopback doubles of the three clouds' token services, for driving the real AWS SDK,
 * google-auth-library and @azure/identity clients. No real cloud is reachable from the
 * test machines, so these stand in; each one checks what the real service checks about
 * tapedeck's token: it reads `iss`, fetches `<iss>/.well-known/openid-configuration`
 * and the `jwks_uri` over HTTP (as the clouds do), and verifies the signature, issuer,
 * audience and expiry with jose before answering.
 *
 * ```text
 * AWS STS        POST /  (Query protocol, form body)   AssumeRoleWithWebIdentity | AssumeRole (SigV4)
 *                → XML <…Response><…Result><Credentials>…  or <ErrorResponse><Error><Code>…
 * Google STS     POST /v1/token  (RFC 8693 form)        → { access_token, expires_in, … } | { error }
 * IAM creds      POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken  (Bearer STS token)
 *                → { accessToken, expireTime } | { error: { code, message, status } }
 * Entra (HTTPS)  GET  /{tenant}/v2.0/.well-known/openid-configuration
 *                POST /{tenant}/oauth2/v2.0/token  (client_credentials + jwt-bearer assertion)
 * ```
 * Every request is recorded (method, path, headers, parsed parameters, the verified
 * claims or the verification error) for the tests to assert on.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

const execFileAsync = promisify(execFile);

export type RecordedRequest = {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** Form fields, or the JSON body's top-level string/array fields. */
  readonly params: Readonly<Record<string, string>>;
  readonly json?: unknown;
  /** The verified claims of the tapedeck token the request carried, if it verified. */
  claims?: JWTPayload;
  /** Why the token did not verify, if it did not. */
  tokenError?: string;
};

export type Refusal = { readonly status: number; readonly code: string; readonly message: string };

// ─── shared plumbing ────────────────────────────────────────────────────────────────

/**
 * Verifies `token` the way a cloud does: `iss` must be the trusted issuer; its discovery
 * document and JWKS are fetched over HTTP; signature, `aud` and time claims are checked.
 */
export async function verifyFederatedToken(
  token: string,
  trustedIssuer: string,
  audience: string,
): Promise<JWTPayload> {
  const unverified = decodeJwt(token);
  if (unverified.iss !== trustedIssuer)
    throw new Error(`untrusted issuer ${String(unverified.iss)}`);
  const discovery = (await (
    await fetch(`${trustedIssuer}/.well-known/openid-configuration`)
  ).json()) as {
    issuer?: string;
    jwks_uri?: string;
  };
  if (discovery.issuer !== trustedIssuer || discovery.jwks_uri === undefined)
    throw new Error('discovery document does not match the issuer');
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: trustedIssuer,
    audience,
    algorithms: ['RS256'],
  });
  return payload;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function record(request: IncomingMessage): Promise<{ rec: RecordedRequest; body: string }> {
  const body = await readBody(request);
  const type = request.headers['content-type'] ?? '';
  const url = new URL(request.url ?? '/', 'http://double');
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  let json: unknown;
  if (type.includes('application/json') && body !== '') {
    json = JSON.parse(body);
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (typeof v === 'string') params[k] = v;
      else if (Array.isArray(v)) params[k] = v.join(' ');
    }
  } else if (body !== '') {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
  }
  const rec: RecordedRequest = {
    method: request.method ?? '',
    path: url.pathname,
    headers: request.headers,
    params,
    ...(json !== undefined ? { json } : {}),
  };
  return { rec, body };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function handle(
  server: Server,
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handler(request, response).catch((error: unknown) => {
      sendJson(response, 500, { error: 'double_failure', error_description: String(error) });
    });
  });
}

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

// ─── AWS STS ────────────────────────────────────────────────────────────────────────

export type StsCredentialsIssued = {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
};

export type AwsStsDouble = {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Credentials handed out, in order. */
  readonly issued: StsCredentialsIssued[];
  /** Lifetime of the credentials handed out next (default 3600 s). */
  expiresInSeconds: number;
  /** When set, every request is answered with this error. */
  refusal: Refusal | undefined;
  close(): Promise<void>;
};

export type AwsStsDoubleOptions = {
  /** The OIDC issuer trusted for AssumeRoleWithWebIdentity. */
  readonly trustedIssuer: string;
  /** Access keys whose SigV4 signatures AssumeRole accepts. */
  readonly signingKeys?: readonly {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  }[];
  /** Hand out this key pair (with a fresh session token) instead of a random one, e.g. one an S3 server knows. */
  readonly issue?: { readonly accessKeyId: string; readonly secretAccessKey: string };
};

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** An AWS STS double speaking the Query protocol (form in, XML out) on 127.0.0.1. */
export async function startAwsStsDouble(options: AwsStsDoubleOptions): Promise<AwsStsDouble> {
  const server = createHttpServer();
  const double: AwsStsDouble = {
    url: '',
    requests: [],
    issued: [],
    expiresInSeconds: 3600,
    refusal: undefined,
    close: () => closeServer(server),
  };
  handle(server, async (request, response) => {
    const { rec, body } = await record(request);
    double.requests.push(rec);
    const action = rec.params['Action'];
    const refuse = (r: Refusal): void =>
      send(
        response,
        r.status,
        'text/xml',
        `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${r.code}</Code>` +
          `<Message>${r.message}</Message></Error><RequestId>${randomUUIDish()}</RequestId></ErrorResponse>`,
      );
    if (double.refusal !== undefined) return refuse(double.refusal);
    if (action === 'AssumeRoleWithWebIdentity') {
      try {
        rec.claims = await verifyFederatedToken(
          rec.params['WebIdentityToken'] ?? '',
          options.trustedIssuer,
          'sts.amazonaws.com',
        );
      } catch (error) {
        rec.tokenError = String(error);
        return refuse({
          status: 400,
          code: 'InvalidIdentityToken',
          message: 'the token does not verify',
        });
      }
    } else if (action === 'AssumeRole') {
      const verdict = verifySigV4(request.method ?? 'POST', rec, body, options.signingKeys ?? []);
      if (verdict !== 'ok') {
        rec.tokenError = verdict;
        return refuse({ status: 403, code: 'SignatureDoesNotMatch', message: verdict });
      }
    } else {
      return refuse({
        status: 400,
        code: 'InvalidAction',
        message: `unknown action ${String(action)}`,
      });
    }
    const credentials: StsCredentialsIssued = {
      accessKeyId:
        options.issue?.accessKeyId ?? `ASIA${String(double.issued.length + 1).padStart(16, '0')}`,
      secretAccessKey: options.issue?.secretAccessKey ?? randomToken(''),
      sessionToken: randomToken('session-'),
      expiration: new Date(Math.floor(Date.now() / 1000 + double.expiresInSeconds) * 1000),
    };
    double.issued.push(credentials);
    const roleName = (rec.params['RoleArn'] ?? '').split('/').at(-1) ?? 'role';
    const session = rec.params['RoleSessionName'] ?? '';
    send(
      response,
      200,
      'text/xml',
      `<${action}Response xmlns="${STS_NS}"><${action}Result>` +
        (action === 'AssumeRoleWithWebIdentity'
          ? `<SubjectFromWebIdentityToken>${String(rec.claims?.sub)}</SubjectFromWebIdentityToken>` +
            `<Audience>sts.amazonaws.com</Audience><Provider>${options.trustedIssuer}</Provider>`
          : '') +
        `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/${roleName}/${session}</Arn>` +
        `<AssumedRoleId>AROA0000000000000000:${session}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId>` +
        `<SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${credentials.sessionToken}</SessionToken>` +
        `<Expiration>${credentials.expiration.toISOString()}</Expiration></Credentials>` +
        `</${action}Result><ResponseMetadata><RequestId>${randomUUIDish()}</RequestId></ResponseMetadata>` +
        `</${action}Response>`,
    );
  });
  (double as { url: string }).url = await listen(server, 'http');
  return double;
}

function randomUUIDish(): string {
  return randomBytes(16).toString('hex');
}

const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string): string => createHash('sha256').update(data).digest('hex');

/**
 * Checks an AWS Signature Version 4 `Authorization` header against the known keys.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
function verifySigV4(
  method: string,
  rec: RecordedRequest,
  body: string,
  keys: readonly { readonly accessKeyId: string; readonly secretAccessKey: string }[],
): string {
  const header = rec.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (match === null) return 'missing or malformed SigV4 Authorization header';
  const [, accessKeyId, date, region, service, signedHeaders, signature] =
    match as unknown as string[];
  const key = keys.find((k) => k.accessKeyId === accessKeyId);
  if (key === undefined) return `unknown access key ${String(accessKeyId)}`;
  const amzDate = String(rec.headers['x-amz-date'] ?? '');
  const canonicalHeaders = signedHeaders!
    .split(';')
    .map(
      (name) =>
        `${name}:${String(rec.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const url = new URL(`http://x${rec.path}`);
  const canonicalRequest = [
    method,
    url.pathname,
    '',
    canonicalHeaders,
    signedHeaders,
    String(rec.headers['x-amz-content-sha256'] ?? sha256Hex(body)),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, date!), region!), service!),
    'aws4_request',
  );
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  return expected === signature ? 'ok' : 'signature does not match';
}

// ─── Google STS + IAM credentials ───────────────────────────────────────────────────

export type GoogleTokenDoubles = {
  /** Use as `gcpStsEndpoint`. */
  readonly stsUrl: string;
  /** Use as `gcpIamCredentialsEndpoint`. */
  readonly iamUrl: string;
  readonly stsRequests: RecordedRequest[];
  readonly iamRequests: RecordedRequest[];
  /** Access tokens the STS double issued, in order. */
  readonly stsTokens: string[];
  /** Access tokens the IAM double issued, in order. */
  readonly iamTokens: string[];
  stsRefusal: Refusal | undefined;
  iamRefusal: Refusal | undefined;
  close(): Promise<void>;
};

export type GoogleTokenDoublesOptions = {
  readonly trustedIssuer: string;
  /** The workload identity provider resource the pool is configured as. */
  readonly providerAudience: string;
  /** The service account the federated principal may impersonate. */
  readonly serviceAccountEmail: string;
};

/** Google STS (`/v1/token`) and IAM credentials (`:generateAccessToken`) doubles on one loopback server. */
export async function startGoogleTokenDoubles(
  options: GoogleTokenDoublesOptions,
): Promise<GoogleTokenDoubles> {
  const server = createHttpServer();
  const doubles: GoogleTokenDoubles = {
    stsUrl: '',
    iamUrl: '',
    stsRequests: [],
    iamRequests: [],
    stsTokens: [],
    iamTokens: [],
    stsRefusal: undefined,
    iamRefusal: undefined,
    close: () => closeServer(server),
  };
  handle(server, async (request, response) => {
    const { rec } = await record(request);
    if (rec.method === 'POST' && rec.path === '/v1/token') {
      doubles.stsRequests.push(rec);
      if (doubles.stsRefusal !== undefined) {
        const r = doubles.stsRefusal;
        return sendJson(response, r.status, { error: r.code, error_description: r.message });
      }
      const p = rec.params;
      if (
        p['grant_type'] !== 'urn:ietf:params:oauth:grant-type:token-exchange' ||
        p['requested_token_type'] !== 'urn:ietf:params:oauth:token-type:access_token' ||
        p['subject_token_type'] !== 'urn:ietf:params:oauth:token-type:jwt'
      ) {
        return sendJson(response, 400, {
          error: 'invalid_request',
          error_description: 'bad token-exchange fields',
        });
      }
      if (p['audience'] !== options.providerAudience) {
        return sendJson(response, 400, {
          error: 'invalid_target',
          error_description: 'unknown provider',
        });
      }
      try {
        rec.claims = await verifyFederatedToken(
          p['subject_token'] ?? '',
          options.trustedIssuer,
          options.providerAudience,
        );
      } catch (error) {
        rec.tokenError = String(error);
        return sendJson(response, 400, {
          error: 'invalid_grant',
          error_description: 'The subject token does not verify',
        });
      }
      const token = randomToken('ya29.sts-');
      doubles.stsTokens.push(token);
      return sendJson(response, 200, {
        access_token: token,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }
    const iam = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(rec.path);
    if (rec.method === 'POST' && iam !== null) {
      doubles.iamRequests.push(rec);
      if (doubles.iamRefusal !== undefined) {
        const r = doubles.iamRefusal;
        return sendJson(response, r.status, {
          error: { code: r.status, message: r.message, status: r.code },
        });
      }
      const bearer = /^Bearer (\S+)$/.exec(rec.headers.authorization ?? '')?.[1];
      if (bearer === undefined || !doubles.stsTokens.includes(bearer)) {
        return sendJson(response, 401, {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials.',
            status: 'UNAUTHENTICATED',
          },
        });
      }
      if (decodeURIComponent(iam[1] ?? '') !== options.serviceAccountEmail) {
        return sendJson(response, 404, {
          error: { code: 404, message: 'Not found', status: 'NOT_FOUND' },
        });
      }
      const token = randomToken('ya29.sa-');
      doubles.iamTokens.push(token);
      return sendJson(response, 200, {
        accessToken: token,
        expireTime: new Date(Date.now() + 3600_000).toISOString(),
      });
    }
    return sendJson(response, 404, {
      error: { code: 404, message: 'no such route', status: 'NOT_FOUND' },
    });
  });
  const url = await listen(server, 'http');
  (doubles as { stsUrl: string }).stsUrl = `${url}/v1/token`;
  (doubles as { iamUrl: string }).iamUrl = url;
  return doubles;
}

// ─── Microsoft Entra token endpoint ─────────────────────────────────────────────────

export type EntraDouble = {
  /** `https://127.0.0.1:<port>`; use as `azureAuthorityHost`. */
  readonly authorityHost: string;
  /** The double's self-signed certificate (PEM), to trust as a CA in the client. */
  readonly caPem: string;
  readonly requests: RecordedRequest[];
  readonly tokenRequests: RecordedRequest[];
  readonly issued: string[];
  refusal: Refusal | undefined;
  close(): Promise<void>;
};

export type EntraDoubleOptions = {
  readonly trustedIssuer: string;
  readonly tenantId: string;
  readonly clientId: string;
};

/**
 * An Entra ID double on HTTPS (MSAL refuses an `http:` authority), with a certificate
 * for 127.0.0.1 made by openssl for this run only.
 */
export async function startEntraDouble(options: EntraDoubleOptions): Promise<EntraDouble> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  let cert: string;
  let key: string;
  try {
    await execFileAsync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ]);
    cert = await readFile(path.join(dir, 'cert.pem'), 'utf8');
    key = await readFile(path.join(dir, 'key.pem'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const server = createHttpsServer({ cert, key });
  const double: EntraDouble = {
    authorityHost: '',
    caPem: cert,
    requests: [],
    tokenRequests: [],
    issued: [],
    refusal: undefined,
    close: () => closeServer(server),
  };
  handle(server, async (request, response) => {
    const { rec } = await record(request);
    double.requests.push(rec);
    const base = `${double.authorityHost}/${options.tenantId}`;
    if (
      rec.method === 'GET' &&
      rec.path === `/${options.tenantId}/v2.0/.well-known/openid-configuration`
    ) {
      return sendJson(response, 200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
      });
    }
    if (rec.method === 'POST' && rec.path === `/${options.tenantId}/oauth2/v2.0/token`) {
      double.tokenRequests.push(rec);
      const entraError = (status: number, error: string, description: string): void =>
        sendJson(response, status, {
          error,
          error_description: `${description}\r\nTrace ID: ${randomUUIDish()}\r\nTimestamp: ${new Date().toISOString()}`,
          error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
          timestamp: new Date().toISOString(),
          trace_id: randomUUIDish(),
          correlation_id: randomUUIDish(),
        });
      if (double.refusal !== undefined) {
        return entraError(double.refusal.status, double.refusal.code, double.refusal.message);
      }
      const p = rec.params;
      if (p['client_id'] !== options.clientId) {
        return entraError(
          400,
          'unauthorized_client',
          `AADSTS700016: Application with identifier '${String(p['client_id'])}' was not found`,
        );
      }
      if (p['client_assertion_type'] !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        return entraError(
          401,
          'invalid_client',
          'AADSTS7000216: client_assertion or client_secret is required',
        );
      }
      try {
        rec.claims = await verifyFederatedToken(
          p['client_assertion'] ?? '',
          options.trustedIssuer,
          'api://AzureADTokenExchange',
        );
      } catch (error) {
        rec.tokenError = String(error);
        return entraError(
          401,
          'invalid_client',
          'AADSTS700213: No matching federated identity record found for presented assertion',
        );
      }
      const token = randomToken('entra-access-');
      double.issued.push(token);
      return sendJson(response, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    return sendJson(response, 404, {
      error: 'not_found',
      error_description: `no route ${rec.path}`,
    });
  });
  (double as { authorityHost: string }).authorityHost = await listen(server, 'https');
  return double;
}
