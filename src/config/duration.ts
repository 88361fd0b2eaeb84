// Go-style durations ("90s", "30m", "1h30m"), as configs written for the reference
// implementation use them for datavolume timeouts.

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a duration the config schema has already checked the form of. */
export const parseDuration = (text: string): number => {
  let total = 0;
  for (const match of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * (unitMs[match[2] ?? ''] ?? Number.NaN);
  }
  return Math.round(total);
};
