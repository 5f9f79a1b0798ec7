import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requireServer } from '../../src/api/auth/auth-hook.js';
import { mintServerToken, mintUserToken } from '../../src/api/auth/tokens.js';
import { METRIC_NAMES } from '../../src/api/metrics.js';
import { testServer } from './support.js';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('createServer(): auth', () => {
  it('GET /v1/whoami answers 401 UNAUTHENTICATED for a missing, garbage, expired or wrong-secret token', async () => {
    const { server, secret } = testServer();
    const expired = await mintUserToken(secret, {
      userId: 'u',
      ttlSeconds: 5,
      nowSeconds: Math.floor(Date.now() / 1000) - 60,
    });
    const wrong = await mintServerToken(randomBytes(32).toString('base64url'));
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing Authorization: Bearer <token> header'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'Authorization header must be "Bearer <token>"'],
      [bearer('garbage'), 'token is not a valid JWT'],
      [bearer(expired), 'token expired'],
      [bearer(wrong), 'token signature does not match the API secret'],
    ];
    for (const [headers, message] of cases) {
      const res = await server.app.inject({ method: 'GET', url: '/v1/whoami', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message } });
    }
    await server.close();
  });

  it('GET /v1/whoami returns the server principal and the user principal with call ids', async () => {
    const { server, secret } = testServer();
    const asServer = await server.app.inject({
      url: '/v1/whoami',
      headers: bearer(await mintServerToken(secret)),
    });
    expect(asServer.statusCode).toBe(200);
    expect(asServer.json()).toEqual({ principal: { kind: 'server' } });
    const user = await mintUserToken(secret, {
      userId: 'alice',
      ttlSeconds: 600,
      callCids: ['default:c1', 'livestream:c2'],
    });
    const asUser = await server.app.inject({ url: '/v1/whoami', headers: bearer(user) });
    expect(asUser.json()).toEqual({
      principal: { kind: 'user', user_id: 'alice', call_cids: ['default:c1', 'livestream:c2'] },
    });
    await server.close();
  });

  it('requireServer() answers 403 FORBIDDEN to a user token and lets the server token through', async () => {
    const { server, secret } = testServer();
    server.app.post('/v1/test/server-only', (request) => {
      requireServer(request);
      return { ok: true };
    });
    const user = await mintUserToken(secret, { userId: 'alice', ttlSeconds: 600 });
    const denied = await server.app.inject({
      method: 'POST',
      url: '/v1/test/server-only',
      headers: bearer(user),
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({
      error: { code: 'FORBIDDEN', message: 'this operation needs the server token' },
    });
    const allowed = await server.app.inject({
      method: 'POST',
      url: '/v1/test/server-only',
      headers: bearer(await mintServerToken(secret)),
    });
    expect(allowed.json()).toEqual({ ok: true });
    await server.close();
  });

  it('schema validation failures are 400 INVALID_ARGUMENT and unknown routes 404 NOT_FOUND, both in the error shape', async () => {
    const { server, secret } = testServer();
    server.app.post(
      '/v1/test/echo',
      {
        schema: {
          body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
      },
      (request) => ({ echoed: request.body as object }),
    );
    const bad = await server.app.inject({
      method: 'POST',
      url: '/v1/test/echo',
      headers: bearer(await mintServerToken(secret)),
      payload: { nom: 1 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('name') },
    });
    const missing = await server.app.inject({ url: '/v1/nothing-here?x=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route GET /v1/nothing-here' },
    });
    await server.close();
  });

  it('an unexpected error is 500 INTERNAL without its details', async () => {
    const { server, secret } = testServer();
    server.app.get('/v1/test/boom', () => {
      throw new Error('database password is swordfish');
    });
    const res = await server.app.inject({
      url: '/v1/test/boom',
      headers: bearer(await mintServerToken(secret)),
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    await server.close();
  });
});

describe('createServer(): operations', () => {
  it('/healthz and /readyz need no token and answer 200 once started', async () => {
    const { server } = testServer();
    expect((await server.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await server.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(server.state()).toBe('ready');
    await server.close();
    expect(server.state()).toBe('closed');
  });

  it('/readyz turns 503 while shutting down (before HTTP closes) and /healthz stays 200', async () => {
    let release!: () => void;
    const drained = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inShutdown = new Promise<void>((resolve) => (entered = resolve));
    const { server } = testServer({
      onShutdown: async () => {
        entered();
        await drained;
      },
    });
    expect((await server.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const closing = server.close();
    await inShutdown;
    expect(server.state()).toBe('stopping');
    const during = await server.app.inject({ url: '/readyz' });
    expect(during.statusCode).toBe(503);
    expect(during.json()).toEqual({ error: { code: 'UNAVAILABLE', message: 'not ready' } });
    expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(server.close()).toBe(closing); // idempotent
    release();
    await closing;
    expect(server.state()).toBe('closed');
  });

  it('/metrics exposes default metrics and every tapedeck metric, with values updated by the instruments', async () => {
    const { server } = testServer();
    server.metrics.packetsReceived.inc({ kind: 'rtp' }, 7);
    server.metrics.activeRecordings.set(2);
    const res = await server.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of METRIC_NAMES) expect(res.body).toContain(`# TYPE ${name} `);
    expect(res.body).toContain('tapedeck_packets_received_total{kind="rtp"} 7');
    expect(res.body).toMatch(/^tapedeck_active_recordings 2$/m);
    expect(res.body).toContain('process_cpu_user_seconds_total');
    await server.close();
  });

  it('/docs/json is an OpenAPI 3 document describing /v1/whoami with bearer auth, and /docs is self-contained HTML', async () => {
    const { server } = testServer();
    const doc = (await server.app.inject({ url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'tapedeck API', version: expect.any(String) });
    expect(doc.components.securitySchemes.bearer).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const whoami = doc.paths['/v1/whoami'].get;
    expect(whoami.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(whoami.responses)).toEqual(expect.arrayContaining(['200', '401']));
    expect(
      whoami.responses['200'].content['application/json'].schema.properties.principal.properties
        .kind.enum,
    ).toEqual(['server', 'user']);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/metrics']),
    );
    expect(doc.paths['/docs/json']).toBeUndefined();
    for (const [route, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { responses: object }>>,
    )) {
      for (const op of Object.values(ops)) expect(op.responses, route).toBeTypeOf('object');
    }

    const page = await server.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('href="/docs/json"');
    expect(page.body).toContain('<code>/v1/whoami</code>');
    expect(page.body).not.toMatch(/<script|https?:\/\/(?!127)/);
    await server.close();
  });

  it('logs are JSON lines that never carry the API secret, the bearer token or the Authorization header', async () => {
    const { server, secret, logs } = testServer();
    const token = await mintServerToken(secret);
    server.app.get('/v1/test/log', (request) => {
      request.log.info(
        { headers: request.headers, apiSecret: secret, token },
        'handler logged its inputs',
      );
      throw new Error('failed');
    });
    await server.app.inject({ url: '/v1/whoami', headers: bearer(token) });
    await server.app.inject({ url: '/v1/whoami', headers: bearer(`${token}x`) });
    await server.app.inject({ url: '/v1/test/log', headers: bearer(token) });
    await server.close();
    const lines = logs().trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(logs()).toContain('handler logged its inputs');
    expect(logs()).toContain('[redacted]');
    expect(logs()).not.toContain(secret);
    expect(logs()).not.toContain(token.split('.')[2]!);
    expect(logs()).not.toContain('Bearer');
  });
});
