// Kubernetes resource quantities ("1Gi", "1536Mi", "4G", "2.5Gi", "500m") to numbers.
// client-node's quantityToScalar is not exported and rejects fractional binary quantities.

const multipliers: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parses a quantity; undefined for anything that is not one (never a guess). */
export const parseQuantity = (value: string | number | undefined): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value === undefined) return undefined;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE])?$/.exec(
    value.trim(),
  );
  if (!match?.[1]) return undefined;
  const multiplier = multipliers[match[2] ?? ''];
  return multiplier === undefined ? undefined : Number(match[1]) * multiplier;
};
