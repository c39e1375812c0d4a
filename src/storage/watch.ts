/**
 * Abort listeners for signals that thousands of reads share (an extraction's signal): each read adding and removing a
 * listener of its own costs O(listeners) per removal in Node's EventTarget, which profiled at ~1 s of CPU over the
 * 3 471 requests of a 10 000-cell extraction from S3. Here a signal gets one listener, and reads join a set.
 */

interface Watchers {
  fns: Set<() => void>;
  listener: () => void;
}

const WATCHED = new WeakMap<AbortSignal, Watchers>();

/**
 * Calls `fn` once when `signal` aborts (not at all if it already has: check first). Returns the function that stops
 * watching (O(1); the signal's one listener goes when its last watcher does).
 */
export function watchAbort(signal: AbortSignal, fn: () => void): () => void {
  let w = WATCHED.get(signal);
  if (w === undefined) {
    const fns = new Set<() => void>();
    const listener = (): void => {
      WATCHED.delete(signal);
      for (const f of [...fns]) f();
      fns.clear();
    };
    w = { fns, listener };
    WATCHED.set(signal, w);
    signal.addEventListener('abort', listener, { once: true });
  }
  const watchers = w;
  watchers.fns.add(fn);
  return () => {
    if (!watchers.fns.delete(fn) || watchers.fns.size > 0) return;
    if (WATCHED.get(signal) === watchers) {
      WATCHED.delete(signal);
      signal.removeEventListener('abort', watchers.listener);
    }
  };
}
