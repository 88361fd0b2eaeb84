// One value per key, computed on first use and kept in the given Map or WeakMap: for results that
// are pure functions of an object nobody mutates (a rendering of a cache snapshot), computed once
// per object, and for the inner tables of nested maps.
export const memoised = <K, V>(
  memo: { get(key: K): V | undefined; set(key: K, value: V): unknown },
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

/** A Map for keys that requests make up (addresses, paths, tokens): once it holds `limit`
 *  entries, adding another forgets them all, so its memory stays bounded whatever is asked and
 *  refilling it costs what the first fill did. */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #limit: number;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override set(key: K, value: V): this {
    if (this.size >= this.#limit && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}
