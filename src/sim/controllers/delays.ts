// How long simulated cluster work takes, in milliseconds of the injected clock. 'realistic'
// imitates a small cluster; 'instant' makes every step happen on the next clock tick (except the
// importer's restart backoff).

export interface Delays {
  /** VMI Pending -> Scheduling (pod created, waiting for the scheduler). */
  readonly scheduling: number;
  /** Scheduling -> Scheduled (pod bound to a node, launcher starting). */
  readonly scheduled: number;
  /** Scheduled -> Running (domain defined and booted). */
  readonly running: number;
  /** Time from Running until the guest agent reports (AgentConnected, guest OS info). */
  readonly agentConnect: number;
  /** How long a guest takes to power off after an ACPI shutdown; a stop ends after
   *  min(this, terminationGracePeriodSeconds). */
  readonly guestShutdown: number;
  /** Guest reboot (soft reboot, reset): agent disconnected for this long. */
  readonly guestReboot: number;
  /** Each hotplug volumeStatus phase step (Pending -> Bound -> ... -> Ready). */
  readonly hotplugStep: number;
  /** DataVolume Pending -> ImportScheduled (PVC bound, importer pod created). */
  readonly importScheduled: number;
  /** ImportScheduled -> ImportInProgress (importer pod running). */
  readonly importStart: number;
  /** Interval between progress updates while importing. */
  readonly importProgressInterval: number;
  /** Simulated download time of a non-loopback URL. */
  readonly importDuration: number;
  /** First importer restart backoff after a failure; doubles per restart (pod CrashLoopBackOff). */
  readonly importRetryBackoff: number;
  /** Cap of the importer restart backoff. */
  readonly importRetryBackoffMax: number;
}

export const realisticDelays: Delays = {
  scheduling: 500,
  scheduled: 1500,
  running: 3000,
  agentConnect: 8000,
  guestShutdown: 5000,
  guestReboot: 6000,
  hotplugStep: 400,
  importScheduled: 1000,
  importStart: 2000,
  importProgressInterval: 1000,
  importDuration: 15000,
  importRetryBackoff: 10000,
  importRetryBackoffMax: 300000,
};

export const instantDelays: Delays = {
  scheduling: 0,
  scheduled: 0,
  running: 0,
  agentConnect: 0,
  guestShutdown: 0,
  guestReboot: 0,
  hotplugStep: 0,
  importScheduled: 0,
  importStart: 0,
  importProgressInterval: 0,
  importDuration: 0,
  // Restart backoff is behaviour, not work: zero would retry a failing import in a hot loop.
  importRetryBackoff: realisticDelays.importRetryBackoff,
  importRetryBackoffMax: realisticDelays.importRetryBackoffMax,
};

export type DelaysOption =
  'realistic' | 'instant' | (Partial<Delays> & { readonly scale?: number });

/** Resolves the option: a partial object overrides the realistic delays, and `scale`
 *  multiplies every delay (e.g. 0.1 for a ten times faster demo). */
export const resolveDelays = (option: DelaysOption = 'realistic'): Delays => {
  if (option === 'realistic') return realisticDelays;
  if (option === 'instant') return instantDelays;
  const { scale = 1, ...overrides } = option;
  const merged: Record<string, number> = { ...realisticDelays, ...overrides };
  for (const key of Object.keys(merged)) merged[key] = (merged[key] ?? 0) * scale;
  return merged as unknown as Delays;
};
