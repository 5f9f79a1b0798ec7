import type { Command } from 'commander';
import type { CliIo } from './io.js';

/** `tapedeck raw …` (CONTRACT — commands pending). */
export function registerRawCommands(program: Command, _io: CliIo, _state: { exitCode: number }): void {
  program.command('raw').description('process raw recording archives into playable media');
}
