/**
 * Structured JSON logs (pino). Credentials never reach a log line: the Authorization and
 * Cookie headers and any `secret`/`apiSecret`/`token` field are redacted, and fastify's
 * request serializer logs no headers to begin with.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'secret',
  'apiSecret',
  'token',
  '*.secret',
  '*.apiSecret',
  '*.token',
];

export type LoggerOptions = {
  readonly level: LogLevel;
  /** Where JSON lines go; default stdout. */
  readonly stream?: DestinationStream;
};

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.stream === undefined ? pino(settings) : pino(settings, options.stream);
}
