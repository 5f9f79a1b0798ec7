// Development only: starts a worker thread whose entry is TypeScript (when tapedeck runs
// from src/ under vitest or tsx). Built code (dist/) starts its .js workers directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsxEntry);
