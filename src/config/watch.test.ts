import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ManualClock, systemClock, type Clock } from '../util/clock.ts';
import { describeChanges } from './changes.ts';
import { loadConfigFile, parseConfig } from './load.ts';
import { watchConfig, type ConfigUpdate } from './watch.ts';

const configText = (password: string, extra = '') => `${extra}chassis:
  - {name: lab, namespace: vms}
authentication:
  users:
    - {username: admin, password: ${password}, chassis: [lab]}
`;

/** A directory laid out like a mounted Secret: config.yaml → ..data/config.yaml, ..data → a
 *  timestamped directory. Kubernetes updates it by writing a new timestamped directory and
 *  renaming a fresh symlink over ..data. */
const secretVolume = async (t: TestContext, text: string) => {
  const dir = await mkdtemp(join(tmpdir(), 'config-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let generation = 0;
  const publish = async (content: string) => {
    const version = `..2026_01_01_00_00_0${generation++}.${generation}`;
    await mkdir(join(dir, version));
    await writeFile(join(dir, version, 'config.yaml'), content);
    await symlink(version, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  await publish(text);
  await symlink('..data/config.yaml', join(dir, 'config.yaml'));
  return { path: join(dir, 'config.yaml'), publish };
};

/** Collects watcher callbacks as awaitable events. */
const watcherOn = async (
  t: TestContext,
  path: string,
  options: { clock: Clock; debounceMs: number; pollMs: number },
) => {
  const events: (ConfigUpdate | Error)[] = [];
  let wake: (() => void) | undefined;
  const push = (event: ConfigUpdate | Error) => {
    events.push(event);
    wake?.();
  };
  const stop = watchConfig({
    path,
    initial: await loadConfigFile(path),
    onChange: push,
    onError: push,
    ...options,
  });
  t.after(stop);
  const next = async (): Promise<ConfigUpdate | Error> => {
    // The watcher and the system clock's timers do not keep the process alive (a server
    // does that in production); this test waits on them, so it holds the loop open itself.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    } finally {
      clearInterval(keepAlive);
    }
    return events.shift()!;
  };
  return { next, events, stop };
};

void describe('watchConfig', () => {
  void it('reloads after a Secret-volume symlink swap, reporting revoked users', async (t) => {
    const volume = await secretVolume(t, configText('first'));
    const watcher = await watcherOn(t, volume.path, {
      clock: systemClock,
      debounceMs: 20,
      pollMs: 0,
    });
    await volume.publish(configText('second'));
    const update = await watcher.next();
    assert.ok(!(update instanceof Error), update instanceof Error ? update.message : '');
    assert.equal(update.config.authentication.users[0]?.password.reveal(), 'second');
    assert.deepEqual(update.changes, { restartRequired: [], revokedUsers: ['admin'] });
  });

  void it('keeps the old config on an invalid file, reports it once, then recovers', async (t) => {
    const volume = await secretVolume(t, configText('first'));
    const watcher = await watcherOn(t, volume.path, {
      clock: systemClock,
      debounceMs: 20,
      pollMs: 0,
    });
    await volume.publish('chassis: nope\n');
    const error = await watcher.next();
    assert.ok(error instanceof Error);
    assert.match(error.message, /chassis: expected a list/);
    await volume.publish(configText('third', 'server: {port: 9000}\n'));
    const update = await watcher.next();
    assert.ok(!(update instanceof Error), update instanceof Error ? update.message : '');
    // Compared with the last good config, not with the broken one.
    assert.deepEqual(update.changes, { restartRequired: ['server.port'], revokedUsers: ['admin'] });
  });

  void it('polls on its clock when directory events are missed, and ignores unchanged content', async (t) => {
    const volume = await secretVolume(t, configText('first'));
    const clock = new ManualClock();
    // A debounce that never elapses on the manual clock: only the poll can see the change.
    const watcher = await watcherOn(t, volume.path, { clock, debounceMs: 1e9, pollMs: 1000 });
    await volume.publish(configText('first'));
    await clock.advance(1000);
    await volume.publish(configText('second'));
    await clock.advance(1000);
    const update = await watcher.next();
    assert.ok(!(update instanceof Error), update instanceof Error ? update.message : '');
    assert.equal(update.config.authentication.users[0]?.password.reveal(), 'second');
    assert.equal(watcher.events.length, 0);
  });

  void it('stops', async (t) => {
    const volume = await secretVolume(t, configText('first'));
    const clock = new ManualClock();
    const watcher = await watcherOn(t, volume.path, { clock, debounceMs: 1e9, pollMs: 1000 });
    watcher.stop();
    assert.equal(clock.pending, 0);
  });
});

void describe('describeChanges', () => {
  const parse = (text: string) => parseConfig(text, 'x').config;

  void it('flags listen settings as needing a restart', () => {
    const before = parse(configText('a'));
    const after = parse(
      configText(
        'a',
        'server: {host: 127.0.0.1, port: 1, tls: {enabled: true, cert_file: c, key_file: k}}\nsessions: {namespace: s}\n',
      ),
    );
    assert.deepEqual(describeChanges(before, after).restartRequired, [
      'server.host',
      'server.port',
      'server.tls.enabled',
      'server.tls.cert_file',
      'server.tls.key_file',
      'sessions.namespace',
    ]);
  });

  void it('flags media settings as needing a restart', () => {
    const before = parse(configText('a'));
    const after = parse(
      configText(
        'a',
        'datavolume: {storage_class: fast, storage_size: 5Gi, allow_insecure_tls: true, cert_config_map: ca}\n',
      ),
    );
    assert.deepEqual(describeChanges(before, after).restartRequired, [
      'datavolume.storage_class',
      'datavolume.storage_size',
      'datavolume.allow_insecure_tls',
      'datavolume.cert_config_map',
    ]);
    assert.deepEqual(describeChanges(after, after).restartRequired, []);
  });

  void it('flags the lockout as needing a restart', () => {
    const before = parse(configText('a'));
    const after = parse(
      configText('a').replace('  users:', '  lockout: {per_user: {threshold: 9}}\n  users:'),
    );
    assert.deepEqual(describeChanges(before, after).restartRequired, ['authentication.lockout']);
  });

  void it('revokes removed users and changed passwords only', () => {
    const users = (list: string) =>
      parse(`chassis: [{name: lab, namespace: vms}]\nauthentication: {users: [${list}]}\n`);
    const before = users(
      '{username: a, password: x, chassis: [lab]}, {username: b, password: y, chassis: [lab]}, {username: c, password: z, chassis: [lab]}',
    );
    const after = users(
      '{username: a, password: x, chassis: [lab], role: ReadOnly}, {username: b, password: changed, chassis: [lab]}',
    );
    assert.deepEqual(describeChanges(before, after), {
      restartRequired: [],
      revokedUsers: ['b', 'c'],
    });
  });
});
