/**
 * A worker thread that runs planned tasks: it opens the already extracted archive once
 * (no second manifest check), then runs each task it is sent and posts progress, the
 * result, or the error as `{ code, message }`. One JavaScript thread per core is how
 * process-all uses more than one core.
 */
import { parentPort } from 'node:worker_threads';
import { toTapedeckError } from '../errors.js';
import { openCall, type OpenCall } from './open-call.js';
import { runTask, type TaskOptions } from './run-task.js';
import type { TaskSpec } from './task-plan.js';

export type WorkerRequest =
  | { readonly type: 'run'; readonly id: number; readonly root: string; readonly spec: TaskSpec; readonly options: TaskOptions }
  | { readonly type: 'abort' };

export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly doneBytes: number; readonly totalBytes: number }
  | { readonly type: 'done'; readonly id: number; readonly result: unknown }
  | { readonly type: 'failed'; readonly id: number; readonly code: string; readonly message: string };

const port = parentPort;
if (!port) throw new Error('task-worker.ts must run in a worker thread');

const controller = new AbortController();
let opened: { root: string; call: Promise<OpenCall> } | undefined;

function callFor(root: string): Promise<OpenCall> {
  if (opened?.root !== root) {
    opened = { root, call: openCall({ input: { dir: root }, verifyManifest: false, signal: controller.signal }) };
  }
  return opened.call;
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'abort') {
    controller.abort();
    return;
  }
  const { id } = request;
  const reply = (message: WorkerReply): void => port.postMessage(message);
  void (async () => {
    try {
      const call = await callFor(request.root);
      const result = await runTask(call, request.spec, request.options, {
        signal: controller.signal,
        onProgress: (doneBytes, totalBytes) => reply({ type: 'progress', id, doneBytes, totalBytes }),
      });
      reply({ type: 'done', id, result });
    } catch (error) {
      const e = toTapedeckError(error);
      reply({ type: 'failed', id, code: e.code, message: e.message });
    }
  })();
});
