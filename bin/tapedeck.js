#!/usr/bin/env node
// Entry point for `npx tapedeck`: runs the compiled CLI (built by `npm install` via `prepare`).
// The AWS SDK warns on every S3 call that its 2027 releases will need Node 22; the
// lockfile pins a release that supports Node 20, so the warning is noise on a CLI's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
