import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** CLI tests run the compiled `bin/tapedeck.js`; build once if `dist/` is missing. */
export default function setup(): void {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  }
}
