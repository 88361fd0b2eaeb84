// Hot reload of the config file. Kubernetes updates a mounted Secret by swapping the `..data`
// symlink in the mount directory, so events never name the file itself: watch the directory,
// re-read the file through its symlinks, and act only when the content hash changes.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type CancelTimer, type Clock } from '../util/clock.ts';
import { describeChanges, type ConfigChanges } from './changes.ts';
import { contentHash, parseConfig, type LoadedConfig } from './load.ts';

export interface ConfigUpdate extends LoadedConfig {
  /** Relative to the previous good config. */
  readonly changes: ConfigChanges;
}

export interface WatchConfigOptions {
  readonly path: string;
  /** The config in force now (from loadConfigFile); reloads are compared with it. */
  readonly initial: LoadedConfig;
  /** A new, valid config was read. */
  readonly onChange: (update: ConfigUpdate) => void;
  /** The file could not be read or is invalid; the previous config stays in force. */
  readonly onError: (error: Error) => void;
  readonly clock?: Clock;
  /** Quiet time after the last directory event before re-reading (a swap is several events). */
  readonly debounceMs?: number;
  /** Re-read this often even without events (filesystems that drop inotify events); 0 = never. */
  readonly pollMs?: number;
}

/** Starts watching; returns a function that stops it. */
export const watchConfig = (options: WatchConfigOptions): (() => void) => {
  const { path, onChange, onError } = options;
  const clock = options.clock ?? systemClock;
  const debounceMs = options.debounceMs ?? 250;
  const pollMs = options.pollMs ?? 60_000;
  let current = options.initial;
  // The last content examined, valid or not, so a broken file is reported once, not per poll.
  let seenHash = current.contentHash;
  let stopped = false;
  let running = false;
  let rerun = false;
  let cancelDebounce: CancelTimer | undefined;
  let cancelPoll: CancelTimer | undefined;

  const check = async (): Promise<void> => {
    if (running) {
      rerun = true;
      return;
    }
    running = true;
    try {
      const bytes = await readFile(path);
      const hash = contentHash(bytes);
      if (stopped || hash === seenHash) return;
      seenHash = hash;
      const parsed = parseConfig(bytes.toString('utf8'), path);
      const changes = describeChanges(current.config, parsed.config);
      current = { ...parsed, contentHash: hash };
      onChange({ ...current, changes });
    } catch (error) {
      if (!stopped) onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      running = false;
      if (rerun && !stopped) {
        rerun = false;
        void check();
      }
    }
  };

  const schedule = (): void => {
    cancelDebounce?.();
    cancelDebounce = clock.setTimeout(() => void check(), debounceMs);
  };

  const poll = (): void => {
    cancelPoll = clock.setTimeout(() => {
      void check();
      poll();
    }, pollMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, schedule);
    watcher.on('error', (error) => onError(error));
  } catch (error) {
    // Without directory events the poll below still picks changes up.
    onError(error instanceof Error ? error : new Error(String(error)));
  }
  if (pollMs > 0) poll();

  return () => {
    stopped = true;
    watcher?.close();
    cancelDebounce?.();
    cancelPoll?.();
  };
};
