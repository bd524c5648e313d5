/**
 * A function's results kept per argument, for pure functions asked the same thing many times
 * (a schema's derived lists, a request's parsed bytes, an object's rendering).
 */

/** `f` computed once per object: the result lives exactly as long as its key (a WeakMap). */
export function memoPerObject<K extends object, V>(f: (key: K) => V): (key: K) => V {
  const results = new WeakMap<K, V>();
  return (key) => {
    if (results.has(key)) return results.get(key) as V;
    const v = f(key);
    results.set(key, v);
    return v;
  };
}

/** `f` computed once per key, kept for the process: for keys from a small fixed set (kinds, say). */
export function memoPerKey<K, V>(f: (key: K) => V): (key: K) => V {
  const results = new Map<K, V>();
  return (key) => {
    if (results.has(key)) return results.get(key) as V;
    const v = f(key);
    results.set(key, v);
    return v;
  };
}
