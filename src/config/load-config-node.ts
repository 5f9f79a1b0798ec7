/** Node adapter for loadConfig(): reads the JSON file named by `TAPEDECK_CONFIG`. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from './config-error.js';
import { loadConfig, type TapedeckConfig } from './config.js';

/**
 * `loadConfig({ env, file })` where `file` is the JSON file at `env.TAPEDECK_CONFIG`
 * (when set). An unreadable or malformed file is reported like any bad setting.
 */
export async function loadConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Promise<TapedeckConfig> {
  const filePath = env['TAPEDECK_CONFIG'];
  if (filePath === undefined || filePath === '') return loadConfig({ env });
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError([
      `TAPEDECK_CONFIG names a file that cannot be read: ${JSON.stringify(filePath)} (${code})`,
    ]);
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      `TAPEDECK_CONFIG file ${JSON.stringify(filePath)} is not valid JSON (${(error as Error).message})`,
    ]);
  }
  return loadConfig({ env, file });
}
