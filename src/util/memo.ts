// One value per key object, computed on first use: for results that are pure functions of an
// object nobody mutates (a rendering of a cache snapshot), so they are computed once per object.
export const memoised = <K extends object, V>(
  memo: WeakMap<K, V>,
  key: K,
  compute: (key: K) => V,
): V => {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute(key);
    memo.set(key, value);
  }
  return value;
};
