#!/usr/bin/env node
// Entry point for `npx tapedeck`: runs the compiled CLI (built by `npm install` via `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
