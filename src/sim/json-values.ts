// Deep copy, equality and freezing of plain JSON values with JSON's semantics, for the store's
// objects (hot paths at 10,000 VMs: every read copies, every update compares).

/** A member copied as JSON would: undefined and functions vanish, non-finite numbers are null. */
const jsonMember = (value: unknown): boolean =>
  value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';

/** A deep copy with JSON round-trip semantics. Objects are plain JSON; walking them is ~6x
 *  faster than JSON.parse(JSON.stringify()), which dominated seeding and reconciling at scale. */
const cloneJson = (value: unknown): unknown => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      items[i] = jsonMember(item) ? cloneJson(item) : null;
    }
    return items;
  }
  const copied: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  // for...in: plain JSON objects inherit no enumerable keys, and it beats Object.entries ~2x.
  for (const key in source) {
    const member = source[key];
    if (!jsonMember(member)) continue;
    // An own "__proto__" member (JSON.parse makes one) must stay data, not become the prototype.
    if (key === '__proto__') {
      Object.defineProperty(copied, key, {
        value: cloneJson(member),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else copied[key] = cloneJson(member);
  }
  return copied;
};
export const copyJson = <T>(value: T): T => cloneJson(value) as T;

/** Equality of two JSON values as serialised: an undefined member equals an absent one. ~5x
 *  faster than util.isDeepStrictEqual, which every update ran twice. */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of Object.keys(left)) {
    const member = left[key];
    if (member !== undefined && !(Object.hasOwn(right, key) && jsonEqual(member, right[key])))
      return false;
  }
  for (const key of Object.keys(right)) {
    if (right[key] !== undefined && left[key] === undefined) return false;
  }
  return true;
};

/** Freezes a value and all it holds: stored objects are shared by reads, never mutated. */
export const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
};
