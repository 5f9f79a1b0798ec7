/**
 * `tapedeck token --server` | `tapedeck token --user <id> [--ttl 3600] [--call type:id …]`:
 * prints a JWT signed with the configured or stored API secret.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { mintTokenFromEnv, type TokenRequest } from '../api/auth/mint-token-from-env.js';
import { TapedeckError } from '../errors.js';
import type { CliIo } from './io.js';

type TokenFlags = { server?: boolean; user?: string; ttl: number; call?: string[] };

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new InvalidArgumentError('expected a positive integer of seconds');
  return Number(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerTokenCommand(program: Command, io: CliIo): void {
  program
    .command('token')
    .description('print an API token signed with the API secret')
    .option('--server', 'a server token (can do everything)')
    .option('--user <id>', 'a user token for this user id')
    .option('--ttl <seconds>', 'user token lifetime', positiveInteger, 3600)
    .option('--call <type:id>', 'limit the user token to this call (repeatable)', collect)
    .action(async (flags: TokenFlags) => {
      const request = tokenRequest(flags);
      io.stdout.write(`${await mintTokenFromEnv(process.env, request)}\n`);
    });
}

function tokenRequest(flags: TokenFlags): TokenRequest {
  if ((flags.server === true) === (flags.user !== undefined)) {
    throw new TapedeckError('INVALID_ARGUMENT', 'give exactly one of --server, --user <id>');
  }
  if (flags.server === true) {
    if (flags.call !== undefined)
      throw new TapedeckError('INVALID_ARGUMENT', '--call applies to user tokens only');
    return { kind: 'server' };
  }
  return {
    kind: 'user',
    userId: flags.user ?? '',
    ttlSeconds: flags.ttl,
    ...(flags.call !== undefined ? { callCids: flags.call } : {}),
  };
}
