// The fuzz run (issue 11): hostile requests from ./arbitraries.ts against the whole service on the
// simulator, with API-server outages injected now and then. Asserts: no 5xx except 503 +
// Retry-After during an outage (and 501 where RFC 9110/DSP0266 prescribe it: a method nobody
// recognises, an unsupported query option), every error a Redfish error body with OData-Version,
// an answer to every request, no stack trace logged for a request, and flat memory.
// Usage: npm run fuzz -- [--requests N] [--max-seconds S] [--seed N] [--concurrency C]
import { strict as assert } from 'node:assert';
import { Agent, request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { createLogger } from '../../src/observability/logger.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, users, type TestService } from '../helpers/service.ts';
import { fuzzRequest, type FuzzRequest, type KnownIds } from './arbitraries.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    'max-seconds': { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
  },
});
const total = Number(args.requests);
const maxMs = args['max-seconds'] === undefined ? Infinity : Number(args['max-seconds']) * 1000;
const seed = args.seed === undefined ? Date.now() % 2 ** 31 : Number(args.seed);
const concurrency = Number(args.concurrency);

/** Log lines bound to a request (they carry its reqId) that show a stack trace. */
const stackLines: string[] = [];
let logLines = 0;
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const text of chunk.toString('utf8').split('\n')) {
      if (!text) continue;
      logLines++;
      if (text.includes('"reqId"') && /"stack":|\\n\s+at /.test(text) && stackLines.length < 20)
        stackLines.push(text.slice(0, 2000));
    }
    done();
  },
});

const service: TestService = await startService({
  logger: createLogger({ level: 'debug', destination }),
});
const sim = service.service.simulator;
assert.ok(sim);
const { hostname, port } = new URL(service.url);
const userNames = Object.keys(users) as (keyof typeof users)[];

/** Retries a set-up step whose keep-alive connection the loaded machine let expire. */
const settled = async <T>(step: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
};

// Valid Ids and a session per user, so the generators reach past authentication and lookups.
const members = async (path: string): Promise<string[]> =>
  ((await settled(() => service.getValid(path))).Members as { '@odata.id': string }[]).map(
    (m) => m['@odata.id'].split('/').pop() ?? '',
  );
const tokens = new Map<string, string>();
const sessionIds: string[] = [];
for (const user of userNames) {
  const login = await settled(() =>
    service.request('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      body: { UserName: user, Password: users[user] },
    }),
  );
  assert.equal(login.status, 201);
  tokens.set(user, login.headers.get('x-auth-token') ?? '');
  sessionIds.push(String(login.body.Id));
}
const ids: KnownIds = {
  systemId: await members('/redfish/v1/Systems'),
  managerId: await members('/redfish/v1/Managers'),
  chassisId: await members('/redfish/v1/Chassis'),
  mediaId: ['Cd'],
  sessionId: sessionIds,
  accountId: userNames,
  roleId: ['Administrator', 'Operator', 'ReadOnly'],
  registryId: await members('/redfish/v1/Registries'),
  schemaId: (await members('/redfish/v1/JsonSchemas')).slice(0, 5),
  taskId: ['1', 'demo-a.x'],
  file: ['Base.1.22.0.json', 'ComputerSystem.v1_27_0.json'],
};

// Bad credentials come from many loopback addresses: failed logins are throttled per address,
// and valid users (from 127.0.0.1) must not be locked out by the fuzzer's own guessing.
const agents = new Map<string, Agent>();
const agentFor = (address: string): Agent => {
  let agent = agents.get(address);
  if (!agent) {
    // Only the valid users' address keeps connections open: each guessing address is used once
    // or twice, and idle connections to all of them would exhaust the process's descriptors
    // (client and service share it), which showed as connections dropped without an answer.
    agent = new Agent({
      keepAlive: address === '127.0.0.1',
      maxSockets: concurrency,
      localAddress: address,
    });
    agents.set(address, agent);
  }
  return agent;
};
let addressCounter = 0;

const headersOf = (req: FuzzRequest): { headers: Record<string, string>; address: string } => {
  const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
  const headers = { ...req.headers };
  let address = '127.0.0.1';
  const elsewhere = () => `127.0.${1 + (addressCounter % 200)}.${1 + (++addressCounter % 250)}`;
  switch (req.auth.kind) {
    case 'none':
      break;
    case 'basic':
      headers.authorization = basic(
        `${req.auth.user}:${users[req.auth.user as keyof typeof users]}`,
      );
      break;
    case 'token':
      headers['x-auth-token'] = tokens.get(req.auth.user) ?? '';
      break;
    case 'badBasic':
      headers.authorization = basic(`${req.auth.user}:wrong-password`);
      address = elsewhere();
      break;
    case 'malformedBasic':
      headers.authorization = req.auth.header;
      address = elsewhere();
      break;
    case 'badToken':
      headers['x-auth-token'] = req.auth.token;
      address = elsewhere();
      break;
  }
  return { headers, address };
};

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** The requests each connection carried, latest last: an unanswered request is reported with
 *  the ones before it on its connection, which is where the cause of a closed connection lies. */
const carried = new WeakMap<object, string[]>();
const describe = (req: FuzzRequest) =>
  `${req.method} ${req.path.slice(0, 200)} auth=${req.auth.kind} body=${(req.body ?? '').length}B`;

/** One exchange. No retry: the service never closes a connection without saying
 *  `Connection: close` on its last answer (its keep-alive timeout, 65 s, is far longer than any
 *  pause here), so a request without an answer is a finding. */
const send = (req: FuzzRequest): Promise<Answer> => {
  const { headers, address } = headersOf(req);
  // Every body is framed. Node's client sends a DELETE, OPTIONS or TRACE body with neither
  // Content-Length nor chunked encoding, so the service reads it as the start of the next request
  // (RFC 9112 §6.3), not as this request's body (docs/fuzzing.md).
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: hostname,
        port: Number(port),
        method: req.method,
        path: req.path,
        headers,
        agent: agentFor(address),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('socket', (socket) => {
      const history = carried.get(socket) ?? [];
      history.push(describe(req));
      carried.set(socket, history.slice(-4));
    });
    outgoing.on('error', (error) => {
      const before = (outgoing.socket && carried.get(outgoing.socket)) ?? [];
      reject(
        new Error(
          `${String(error)} (reused socket: ${outgoing.reusedSocket}; its requests: ` +
            `${before.join(' | ')})`,
        ),
      );
    });
    outgoing.end(req.body);
  });
};

// Outages: now and then the API server answers 503 for a few seconds; 503 + Retry-After is
// expected from the start of one until a grace period after it (the caches resync).
const outageMs = 3_000;
const graceMs = 15_000;
let outageUntil = 0;
const inOutage = (startedAt: number) => startedAt <= outageUntil + graceMs;
const outages = { count: 0 };

const counts = { requests: 0, byStatus: new Map<number, number>(), allowed501: 0, outage503: 0 };
const findings: string[] = [];
/** Requests whose connection closed without an answer. */
const unanswered: string[] = [];
const finding = (req: FuzzRequest, what: string) => {
  if (findings.length < 50)
    findings.push(
      `${what}\n    ${req.method} ${req.path.slice(0, 300)} auth=${req.auth.kind} ` +
        `headers=${JSON.stringify(req.headers)} body=${(req.body ?? '').slice(0, 200)}`,
    );
  else findings.length++;
};

const check = (req: FuzzRequest, startedAt: number, answer: Answer) => {
  const { status } = answer;
  counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
  if (status < 400) return;
  if (answer.headers['odata-version'] !== '4.0') finding(req, `${status} without OData-Version`);
  let messageId = '';
  let messageIds: string[] = [];
  if (req.method !== 'HEAD') {
    try {
      const body = JSON.parse(answer.text) as {
        error?: { code?: string; '@Message.ExtendedInfo'?: { MessageId: string }[] };
      };
      validateRedfish(body);
      messageId = body.error?.code ?? '';
      messageIds = (body.error?.['@Message.ExtendedInfo'] ?? []).map((m) => m.MessageId);
    } catch (error) {
      finding(req, `${status} without a Redfish error body: ${String(error).slice(0, 300)}`);
    }
  }
  if (status < 500) return;
  if (status === 503 && inOutage(startedAt) && answer.headers['retry-after'] !== undefined) {
    counts.outage503++;
    return;
  }
  // Several unsupported query options come as one GeneralError listing each (DSP0266).
  const byRfc =
    messageIds.length > 0 &&
    messageIds.every((id) => /\.(QueryParameterUnsupported|OperationNotAllowed)$/.test(id));
  if (status === 501 && (byRfc || req.method === 'HEAD')) {
    counts.allowed501++;
    return;
  }
  finding(req, `${status} ${messageId}: ${answer.text.slice(0, 300)}`);
};

const heap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

const started = Date.now();
let heapAfterWarmUp: number | undefined;
const arbitrary = fuzzRequest(ids, userNames);
const batchSize = 200;
let batch = 0;
while (counts.requests < total && Date.now() - started < maxMs) {
  const requests = fc.sample(arbitrary, {
    numRuns: Math.min(batchSize, total - counts.requests),
    seed: seed + batch++,
  });
  // Every 25 batches an outage, while requests keep coming.
  if (batch % 25 === 12) {
    sim.faults.unavailableFor(outageMs);
    outageUntil = Date.now() + outageMs;
    outages.count++;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const req = requests[next++]!;
        const startedAt = Date.now();
        try {
          check(req, startedAt, await send(req));
        } catch (error) {
          if (unanswered.length < 20) unanswered.push(`${describe(req)}: ${String(error)}`);
          else unanswered.length++;
        }
        counts.requests++;
      }
    }),
  );
  if (heapAfterWarmUp === undefined && counts.requests >= Math.min(2_000, total / 5))
    heapAfterWarmUp = heap();
}
const seconds = (Date.now() - started) / 1000;
const heapAtEnd = heap();
const growthMiB = ((heapAtEnd - (heapAfterWarmUp ?? heapAtEnd)) / 2 ** 20).toFixed(1);
for (const agent of agents.values()) agent.destroy();
await service.close();

const fiveXx = [...counts.byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
const report = {
  date: new Date().toISOString(),
  seed,
  requests: counts.requests,
  seconds,
  statuses: Object.fromEntries([...counts.byStatus].sort(([a], [b]) => a - b)),
  '5xx': fiveXx,
  '5xxUnexpected': fiveXx - counts.outage503 - counts.allowed501,
  '503DuringOutage': counts.outage503,
  '501ByRfc': counts.allowed501,
  outages: outages.count,
  findings: findings.length,
  unanswered: unanswered.length,
  stackTracesLogged: stackLines.length,
  logLines,
  heapAfterWarmUpMiB: Number(((heapAfterWarmUp ?? heapAtEnd) / 2 ** 20).toFixed(1)),
  heapAtEndMiB: Number((heapAtEnd / 2 ** 20).toFixed(1)),
  heapGrowthAfterWarmUpMiB: Number(growthMiB),
};
console.log(JSON.stringify(report, null, 2));
for (const line of findings.slice(0, 50)) console.log(`FINDING ${line}`);
for (const line of stackLines) console.log(`STACK ${line}`);
for (const line of unanswered.slice(0, 20)) console.log(`UNANSWERED ${line}`);
// Every request is answered (docs/fuzzing.md, "Connections closed without an answer").
const unansweredOk = unanswered.length === 0;
if (!unansweredOk) console.log(`UNANSWERED ${unanswered.length} requests had no answer`);
// Bounded growth: caches and sessions settle after warm-up; a leak per request would show here.
const memoryFlat = Number(growthMiB) < 64;
if (!memoryFlat) console.log(`MEMORY heap grew ${growthMiB} MiB after warm-up`);
process.exit(
  findings.length === 0 && stackLines.length === 0 && memoryFlat && unansweredOk ? 0 : 1,
);
