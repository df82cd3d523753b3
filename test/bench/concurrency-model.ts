// The concurrency bench's sessions and their model: the 10-tool script every session follows, answered by the
// scripted model in a worker thread (its work is the API's, not the harness's, and must not load the loop being
// measured). This file is also the worker's entry.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { reply, startScriptedModel, type RecordedRequest, type Reply } from '../../src/model/scripted';
import type { MessagesRequest } from '../../src/model/scripted/script';
import { threadCpuMs } from './concurrency-cpu';
import { tenToolCalls } from './ten-tools';

export const TOOLS = 10;

/** The 10 tool calls every session makes, then a closing text. */
export const CALLS = tenToolCalls({ grep: 'console', source: 'src/app.js' });

function step(i: number): Reply {
  const call = CALLS[i];
  return call ? reply.tool(call[0], call[1]) : reply.text('all done');
}

/** Stateless per session: the reply follows from how many assistant turns the request already holds. */
function responder(request: RecordedRequest): Reply {
  return step(request.body.messages.filter((m) => m.role === 'assistant').length);
}

if (!isMainThread) {
  const { delayMs } = workerData as { delayMs: number };
  const model = await startScriptedModel({ script: responder, defaultDelayMs: delayMs });
  parentPort!.postMessage(model.url);
  parentPort!.on('message', (message: 'cpu' | 'opening' | 'close') => {
    if (message === 'cpu') parentPort!.postMessage(threadCpuMs('thread-self'));
    else if (message === 'opening') parentPort!.postMessage(model.requests.find((r) => r.body.messages.length === 1)?.body ?? null);
    else void model.close().then(() => process.exit(0));
  });
}

export interface ModelWorker {
  url: string;
  /** CPU time of the model's thread so far: the stand-in's work, which the process's CPU time includes. */
  cpuMs(): Promise<number>;
  /** The first request of a session the model answered so far (its system prompt, tools and user message), as the harness sent it; null before any. */
  opening(): Promise<MessagesRequest | null>;
  close(): Promise<void>;
}

export async function startModelWorker(delayMs: number): Promise<ModelWorker> {
  // tsx's loader does not reach a worker on Node 20; the worker loads this file through tsx's API instead.
  const loader = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(loader, { eval: true, workerData: { delayMs } });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  // One question at a time: the bench asks between its readings, never two at once.
  const ask = <T>(question: 'cpu' | 'opening') =>
    new Promise<T>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(question);
    });
  return {
    url,
    cpuMs: () => ask('cpu'),
    opening: () => ask('opening'),
    close: () =>
      new Promise((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      }),
  };
}
