/**
 * `tapedeck serve`: starts the service on the configured address (TAPEDECK_* variables,
 * optional TAPEDECK_CONFIG file; `--host`/`--port` override) and stops gracefully on
 * SIGINT/SIGTERM (or when `io.signal` aborts), exiting 0.
 */
import type { Command } from 'commander';
import { startService } from '../api/start-service.js';
import type { CliIo } from './io.js';

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description(
      'start the tapedeck service (embedded defaults: SQLite and local disk under ./data)',
    )
    .option('--host <host>', 'address to bind (overrides TAPEDECK_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (overrides TAPEDECK_PORT; default 8080)')
    .action(async (opts: { host?: string; port?: string }) => {
      const env = { ...process.env };
      if (opts.host !== undefined) env['TAPEDECK_HOST'] = opts.host;
      if (opts.port !== undefined) env['TAPEDECK_PORT'] = opts.port;
      const running = await startService({ env, logStream: io.stdout });
      if (running.firstStart !== undefined) {
        const { apiSecret, secretPath, serverToken } = running.firstStart;
        io.stdout.write(
          `first start: generated the API secret (stored in ${secretPath}; shown only this once)\n` +
            `  API secret:   ${apiSecret}\n  server token: ${serverToken}\n`,
        );
      }
      io.stdout.write(`tapedeck listening on ${running.url}\n`);
      await stopRequested(io.signal);
      await running.server.close();
    });
}

function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal?.aborted === true) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}
