import { Command, CommanderError } from 'commander';
import { formatErrorLine, toTapedeckError } from '../errors.js';
import { registerRawCommands } from './raw-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerTokenCommand } from './token-command.js';
import { ConfigError } from '../config/config-error.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('tapedeck')
    .description('Raw call recording: capture, delivery, and processing into playable media')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s) => io.stderr.write(s.replace(/^error: /, 'INVALID_ARGUMENT: ')),
    });
  const state = { exitCode: 0 };
  registerRawCommands(program, io, state);
  registerServeCommand(program, io);
  registerTokenCommand(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    // A bad configuration is one line per bad setting; everything else is one line.
    const lines = error instanceof ConfigError ? error.problems.map((p) => `${error.code}: ${p}`) : [formatErrorLine(error)];
    io.stderr.write(lines.join('\n') + '\n');
    if (argv.includes('--verbose') && error instanceof Error) io.stderr.write(`${error.stack ?? ''}\n`);
    return toTapedeckError(error).exitCode;
  }
}
