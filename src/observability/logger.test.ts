import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, deferredChildLogger } from './logger.ts';

const capture = (level: 'info' | 'debug') => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  return { logger, lines };
};

void describe('deferred request logger', () => {
  void it('writes lines with the request bindings, at the parent level', () => {
    const { logger, lines } = capture('info');
    const child = deferredChildLogger(logger, { reqId: 'req-7' });
    child.debug('hidden');
    child.info({ user: 'admin' }, 'shown');
    child.warn('also shown');
    assert.deepEqual(
      lines.map((l) => [l.reqId, l.msg, l.user]),
      [
        ['req-7', 'shown', 'admin'],
        ['req-7', 'also shown', undefined],
      ],
    );
    assert.equal(child.level, 'info');
  });

  void it('follows a level set on it, and redacts like its parent', () => {
    const { logger, lines } = capture('info');
    const child = deferredChildLogger(logger, { reqId: 'req-8' });
    child.level = 'debug';
    child.debug({ password: 'secret' }, 'detail');
    assert.equal(lines[0]?.msg, 'detail');
    assert.equal(lines[0]?.password, '[REDACTED]');
    child.child({ step: 2 }).info('nested');
    assert.deepEqual([lines[1]?.reqId, lines[1]?.step], ['req-8', 2]);
  });
});
