/**
 * A WHIP publisher for tests: Debian's Chromium (playwright-core, fake camera and
 * microphone) on a minimal publisher page (whip-publisher-page.html) served by a node:http
 * server on 127.0.0.1. The browser talks to that one origin; every request but `GET /`
 * goes to the test's `route` (a WHIP endpoint, or a proxy to the service).
 *
 * ```
 * Chromium ──GET /──────────▶ page server ─▶ whip-publisher-page.html
 *          ──POST/DELETE /…─▶ page server ─▶ route(request, response)
 * ```
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';

const PAGE = new URL('./whip-publisher-page.html', import.meta.url);

/** Flags that work on these machines (see test-services.md), plus loopback ICE candidates. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Offer the loopback address as a plain host candidate (no mDNS name).
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** What the page's WHIP POST was answered. */
export type WhipAnswer = {
  readonly status: number;
  readonly contentType: string | null;
  /** Absolute URL of the WHIP resource. */
  readonly location: string;
};

export type PublisherPageServer = {
  /** `http://127.0.0.1:<port>`: the page is at `${origin}/`. */
  readonly origin: string;
  close(): Promise<void>;
};

/** The whole request body. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Serves the publisher page at `GET /` and hands every other request to `route`. A route
 * that throws answers `errorStatus` (default 502) with the error as text.
 */
export async function servePublisherPage(
  route: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  errorStatus = 502,
): Promise<PublisherPageServer> {
  const page = await readFile(PAGE, 'utf8');
  const server: Server = createServer((request, response) => {
    void (async () => {
      try {
        if (request.method === 'GET' && request.url === '/') {
          response.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
          return;
        }
        await route(request, response);
      } catch (error) {
        response.writeHead(errorStatus, { 'Content-Type': 'text/plain' }).end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type PublishOptions<T> = {
  /** The page server's origin (servePublisherPage). */
  readonly origin: string;
  /** The WHIP endpoint URL the page POSTs its offer to. */
  readonly endpoint: string;
  /** Bearer token for the POST and the DELETE. Default: none. */
  readonly token?: string;
  /** How long to publish once connected, ms. */
  readonly ms: number;
  /** A fresh Chromium profile directory (inside the test's temp dir). */
  readonly profileDir: string;
  /** Runs after `ms`, while still publishing (before the DELETE). */
  readonly whilePublishing?: () => Promise<T>;
};

export type PublishResult<T> = {
  readonly answer: WhipAnswer;
  /** Status of the DELETE on the Location. */
  readonly deleteStatus: number;
  /** From connected to the DELETE, ms. */
  readonly publishedMs: number;
  /** What `whilePublishing` returned. */
  readonly during: T | undefined;
  /** PLIs (keyframe requests) the server sent to Chromium's video sender. */
  readonly pliCount: number;
};

/** Chromium publishes to `endpoint` for `ms` (connected first), then DELETEs the Location. */
export async function publishFromChromium<T = undefined>(
  options: PublishOptions<T>,
): Promise<PublishResult<T>> {
  const browser = await chromium.launchPersistentContext(options.profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${options.origin}/`);
    const answer = await page.evaluate(
      ([url, bearer]) =>
        (
          globalThis as unknown as { publish(e: string, t: string | null): Promise<WhipAnswer> }
        ).publish(url, bearer),
      [options.endpoint, options.token ?? null] as const,
    );
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, options.ms));
    const during = await options.whilePublishing?.();
    const pliCount = await page.evaluate(() =>
      (globalThis as unknown as { pliCount(): Promise<number> }).pliCount(),
    );
    const deleteStatus = await page.evaluate(() =>
      (globalThis as unknown as { unpublish(): Promise<number> }).unpublish(),
    );
    return { answer, deleteStatus, publishedMs: Date.now() - start, during, pliCount };
  } finally {
    await browser.close();
  }
}
