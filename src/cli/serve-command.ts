import type { Command } from 'commander';
import { createServer } from 'node:http';
import type { CliIo } from './io.js';

/**
 * `tapedeck serve`: until the recording service lands, a health endpoint on the
 * configured address so deployments can be wired up; the raw toolkit is fully usable.
 */
export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('start the tapedeck service (embedded defaults: SQLite and local disk under ./data)')
    .option('--host <host>', 'address to bind', process.env['TAPEDECK_HOST'] ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on', process.env['TAPEDECK_PORT'] ?? '8080')
    .action(async (opts: { host: string; port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new RangeError(`--port must be an integer in 0..65535, got ${opts.port}`);
      }
      const server = createServer((req, res) => {
        if (req.url === '/healthz' || req.url === '/readyz') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"NOT_FOUND","message":"the recording API is not available in this version"}}');
      });
      await new Promise<void>((resolve) => server.listen(port, opts.host, resolve));
      const address = server.address();
      const bound = typeof address === 'object' && address ? `${address.address}:${address.port}` : opts.port;
      io.stdout.write(`tapedeck listening on http://${bound} (health: /healthz)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          server.close(() => resolve());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
