// HEAD load for bench/http.ts: wrk cannot measure HEAD (its parser waits for the body that
// Content-Length announces), so this keeps `connections` keep-alive requests in flight for
// `seconds` and prints {"rps","requests","p50Ms","p99Ms"} as JSON. Run as its own process, on wrk's CPU.
// Usage: head-load.ts URL SECONDS CONNECTIONS [HEADER-NAME HEADER-VALUE]...
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { percentile } from './measure.ts';

const [url = '', seconds = '5', connections = '50', ...pairs] = process.argv.slice(2);
const headers: Record<string, string> = {};
for (let i = 0; i + 1 < pairs.length; i += 2) headers[pairs[i] ?? ''] = pairs[i + 1] ?? '';
const secure = url.startsWith('https:');
const agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: Infinity });
const send = secure ? https.request : http.request;

const latencies: number[] = [];
const until = performance.now() + Number(seconds) * 1000;
const one = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const req = send(url, { method: 'HEAD', agent, headers, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HEAD answered ${res.statusCode}`));
        latencies.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
const loop = async (): Promise<void> => {
  while (performance.now() < until) await one();
};
const began = performance.now();
await Promise.all(Array.from({ length: Number(connections) }, loop));
const elapsed = (performance.now() - began) / 1000;
agent.destroy();
process.stdout.write(
  `${JSON.stringify({ rps: latencies.length / elapsed, requests: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) })}\n`,
);
