// Runs test/clients/sushy/ironic.py (sushy scripted as Ironic uses it) as one long-lived process,
// like Ironic's cached sushy client, and sends it one step at a time so the test can look at the
// cluster between steps. Failures carry the step's HTTP exchanges and sushy's own log.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const script = fileURLToPath(new URL('./sushy/ironic.py', import.meta.url));

/** One HTTP request sushy made, as ironic.py records it. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly auth: 'basic' | 'token' | 'none';
  readonly ifMatch: string | null;
  readonly contentType: string | null;
  readonly body: unknown;
  readonly location: string | null;
  readonly xAuthToken: boolean;
  readonly responseBody: string | null;
}

/** ironic.py's JSON results: their shapes are defined on the Python side, read by assertions. */
export type Json = any;

export interface StepReply<T = Json> {
  readonly ok: boolean;
  readonly step: string;
  readonly result: T;
  readonly error?: string;
  readonly type?: string;
  readonly exchanges: readonly Exchange[];
}

export interface IronicOptions {
  readonly python: string;
  readonly url: string;
  readonly auth: 'session' | 'basic';
  readonly systemPath: string;
  readonly username: string;
  readonly password: string;
}

const stepTimeoutMs = 90_000;

export class IronicProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private stderr = '';
  private exited = false;

  constructor(private readonly options: IronicOptions) {
    this.child = spawn(
      options.python,
      [script, '--url', options.url, '--auth', options.auth, '--system', options.systemPath],
      {
        env: { ...process.env, BMC_USERNAME: options.username, BMC_PASSWORD: options.password },
        stdio: 'pipe',
      },
    );
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.replies.push(line);
    });
    this.child.on('exit', () => {
      this.exited = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  /** sushy's log so far (the tail, to keep messages readable). */
  log(lines = 80): string {
    return this.stderr.trimEnd().split('\n').slice(-lines).join('\n');
  }

  private nextLine(): Promise<string | undefined> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(
          new Error(
            `ironic.py gave no answer in ${stepTimeoutMs} ms\n--- sushy log ---\n${this.log()}`,
          ),
        );
      }, stepTimeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  /** Runs a step and returns its reply, successful or not. */
  async send<T = Json>(step: string, args: Record<string, unknown> = {}): Promise<StepReply<T>> {
    this.child.stdin.write(`${JSON.stringify({ step, ...args })}\n`);
    const line = await this.nextLine();
    if (line === undefined)
      assert.fail(`ironic.py exited during step ${step}\n--- sushy log ---\n${this.log()}`);
    return JSON.parse(line) as StepReply<T>;
  }

  /** Runs a step that must succeed; a failure shows sushy's error, its requests and its log. */
  async step<T = Json>(step: string, args: Record<string, unknown> = {}): Promise<StepReply<T>> {
    const reply = await this.send<T>(step, args);
    if (!reply.ok) assert.fail(explain(reply, this.log()));
    return reply;
  }

  /** Asserts `check`, showing the step's exchanges and sushy's log when it does not hold. */
  expect(reply: StepReply, check: boolean, what: string): void {
    assert.ok(check, `${what}\n${explain(reply, this.log(40))}`);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A step's outcome for a failure message: sushy's error, every exchange, then sushy's log. */
export const explain = (reply: StepReply, log: string): string =>
  [
    `sushy step "${reply.step}" ${reply.ok ? 'succeeded' : `failed: ${reply.type ?? ''}: ${reply.error ?? ''}`}`,
    reply.ok ? `result: ${JSON.stringify(reply.result)}` : '',
    'HTTP exchanges:',
    ...reply.exchanges.map(
      (x) =>
        `  ${x.method} ${x.path} -> ${x.status} (auth ${x.auth}${x.ifMatch ? `, If-Match ${x.ifMatch}` : ''})` +
        (x.body === null ? '' : ` body ${JSON.stringify(x.body)}`) +
        (x.responseBody ? `\n     ${x.responseBody.replace(/\s+/g, ' ').slice(0, 600)}` : ''),
    ),
    '--- sushy log ---',
    log,
  ]
    .filter((line) => line !== '')
    .join('\n');
