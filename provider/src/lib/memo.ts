/**
 * A function's results kept per argument, for pure functions asked the same thing many times
 * (a schema's derived lists, a request's parsed bytes, an object's rendering).
 */

interface Store<K, V> {
  has(key: K): boolean;
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

function memoIn<K, V>(results: Store<K, V>, f: (key: K) => V): (key: K) => V {
  return (key) => {
    if (results.has(key)) return results.get(key) as V;
    const v = f(key);
    results.set(key, v);
    return v;
  };
}

/** `f` computed once per object: the result lives exactly as long as its key (a WeakMap). */
export const memoPerObject = <K extends object, V>(f: (key: K) => V): ((key: K) => V) => memoIn(new WeakMap<K, V>(), f);

/** `f` computed once per key, kept for the process: for keys from a small fixed set (kinds, say). */
export const memoPerKey = <K, V>(f: (key: K) => V): ((key: K) => V) => memoIn(new Map<K, V>(), f);
