// Worker thread holding the benchmark's watch clients, so that decrypting and splitting 100
// streams runs beside the simulator (as separate client processes would), not on its event loop.
// Protocol: "open" → "opened"; "expect" a seq range → "done" with every [seq, time received] of
// every watcher (times in timeOrigin-based ms, comparable across threads); "close" ends it all.
import { parentPort } from 'node:worker_threads';
import { createClient } from './client.ts';

export type ToWorker =
  | {
      readonly kind: 'open';
      readonly baseUrl: string;
      readonly token: string;
      readonly caPem?: string;
      readonly path: string;
      readonly watchers: number;
    }
  | { readonly kind: 'expect'; readonly first: number; readonly count: number }
  | { readonly kind: 'close' };

export type FromWorker =
  | { readonly kind: 'opened' }
  | { readonly kind: 'done'; readonly received: readonly (readonly [number, number])[] }
  | { readonly kind: 'failed'; readonly message: string };

const port = parentPort;
if (!port) throw new Error('watch-worker.ts runs only as a worker thread');
const seqPattern = /"bench\.kubevirt-redfish\.io\/seq":"(\d+)"/;
const now = () => performance.timeOrigin + performance.now();

let streams: { close(): void }[] = [];
let closeClient = (): void => undefined;
let expected:
  { first: number; count: number; seen: number[]; received: [number, number][] } | undefined;
let remaining = 0;

const onLine = (watcher: number) => (line: string) => {
  const seq = Number(seqPattern.exec(line)?.[1] ?? Number.NaN);
  if (!expected || !(seq >= expected.first && seq < expected.first + expected.count)) return;
  expected.received.push([seq, now()]);
  expected.seen[watcher] = (expected.seen[watcher] ?? 0) + 1;
  if (expected.seen[watcher] === expected.count && --remaining === 0) {
    port.postMessage({ kind: 'done', received: expected.received } satisfies FromWorker);
    expected = undefined;
  }
};

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'open': {
      const client = createClient({
        baseUrl: message.baseUrl,
        headers: { authorization: `Bearer ${message.token}` },
        ...(message.caPem ? { caPem: message.caPem } : {}),
      });
      closeClient = () => client.close();
      Promise.all(
        Array.from({ length: message.watchers }, (_, w) => client.stream(message.path, onLine(w))),
      )
        .then((opened) => {
          streams = opened;
          port.postMessage({ kind: 'opened' } satisfies FromWorker);
        })
        .catch((error: unknown) =>
          port.postMessage({ kind: 'failed', message: String(error) } satisfies FromWorker),
        );
      return;
    }
    case 'expect':
      remaining = streams.length;
      expected = { first: message.first, count: message.count, seen: [], received: [] };
      return;
    case 'close':
      for (const stream of streams) stream.close();
      closeClient();
      port.close();
      return;
  }
});
