// Unit tests: media tasks derived from the VM snapshot, their retention, and the TaskEvent texts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { VisibleSystem } from '../../auth/types.ts';
import type { MediaSnapshot, VmSnapshot } from '../../backend/port.ts';
import { validateRedfish } from '../../../test/helpers/redfish-schema.ts';
import { acceptedTask, mediaTaskOf, taskEventRegistry, toTask, toTaskService } from './tasks.ts';

const system = (media: MediaSnapshot): VisibleSystem => ({
  id: 'ns.vm.with.dots',
  ref: { namespace: 'ns', name: 'vm.with.dots' },
  chassis: 'lab',
  snapshot: { ref: { namespace: 'ns', name: 'vm.with.dots' }, media } as VmSnapshot,
});

const base = { inserted: false, writeProtected: true, pendingRestart: false, taskId: 'abc123' };
const now = Date.parse('2026-01-02T00:00:00Z');

void test('task states follow the media slot', () => {
  assert.equal(mediaTaskOf(system({ ...base, state: 'Empty' }), now), undefined);
  const running = mediaTaskOf(system({ ...base, state: 'Importing', percentComplete: 45.67 }), now);
  assert.equal(running?.id, 'ns.vm.with.dots.abc123');
  assert.equal(running?.state, 'Running');
  assert.equal(toTask(running).PercentComplete, 45);
  const done = mediaTaskOf(
    system({ ...base, state: 'Ready', inserted: true, finishedAt: '2026-01-01T12:00:00Z' }),
    now,
  );
  assert.equal(done?.state, 'Completed');
  assert.equal(done?.endTime, '2026-01-01T12:00:00Z');
  const failed = mediaTaskOf(system({ ...base, state: 'Failed', message: 'got 404' }), now);
  assert.equal(failed?.state, 'Exception');
  assert.match(JSON.stringify(toTask(failed).Messages), /got 404/);
  for (const task of [running, done, failed]) validateRedfish(toTask(task));
});

void test('a finished task disappears after the retention time, a running one never', () => {
  const old = '2025-12-30T00:00:00Z';
  assert.equal(mediaTaskOf(system({ ...base, state: 'Ready', finishedAt: old }), now), undefined);
  assert.equal(mediaTaskOf(system({ ...base, state: 'Failed', finishedAt: old }), now), undefined);
  assert.ok(mediaTaskOf(system({ ...base, state: 'Importing', insertedAt: old }), now));
});

void test('an accepted task is New and names the restart when the media waits for one', () => {
  const task = toTask(
    acceptedTask(system({ ...base, state: 'Empty' }), 'k', true, '2026-01-01T00:00:00+00:00'),
  );
  validateRedfish(task);
  assert.equal(task.TaskState, 'New');
  const ids = (task.Messages as { MessageId: string }[]).map((m) => m.MessageId);
  assert.deepEqual(ids, ['TaskEvent.1.0.TaskStarted', 'Base.1.22.ResetRequired']);
  validateRedfish(toTaskService(now));
});

void test('TaskEvent messages match the DMTF registry', () => {
  const registry = JSON.parse(
    readFileSync(
      new URL(
        `../../../../shared/redfish-schema/registries/${taskEventRegistry.file}`,
        import.meta.url,
      ),
      'utf8',
    ),
  ) as {
    RegistryVersion: string;
    Messages: Record<string, { Message: string; MessageSeverity: string }>;
  };
  assert.ok(
    registry.RegistryVersion.startsWith(taskEventRegistry.prefix.replace('TaskEvent.', '')),
  );
  for (const [key, ours] of Object.entries(taskEventRegistry.taskEvents)) {
    assert.equal(ours.message, registry.Messages[key]?.Message);
    assert.equal(ours.severity, registry.Messages[key]?.MessageSeverity);
  }
});
