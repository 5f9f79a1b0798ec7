import { TapedeckError } from '../errors.js';

/**
 * Every bad setting found at start, reported together: one line per problem in
 * `problems`, joined into the message (`invalid configuration: A; B`). The CLI prints one
 * `INVALID_ARGUMENT: <problem>` line each.
 */
export class ConfigError extends TapedeckError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('INVALID_ARGUMENT', `invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = [...problems];
  }
}
