/**
 * Requests a page starts before it renders. Right after sign-in the app knows the route and has a
 * Graph client, so the first page's Graph calls start then, while the app's code still loads,
 * instead of after its first render. Each one is taken once, by the page it is for, when its
 * parameters match; anything later (another search, a retry, a revisit) asks again.
 */
export class EarlyLoads {
  private readonly entries = new Map<string, { promise: Promise<unknown>; result?: { value: unknown } }>();

  /** Starts `load` now under `key` (a page's request and its parameters); returns its promise. */
  start<T>(key: string, load: () => Promise<T>): Promise<T> {
    const promise = load();
    const entry: { promise: Promise<unknown>; result?: { value: unknown } } = { promise };
    // Nobody may take it (the person navigates away first): its failure is then no one's to report.
    promise.then(
      (value) => (entry.result = { value }),
      () => undefined,
    );
    this.entries.set(key, entry);
    return promise;
  }

  /** The request started under `key`, once; undefined when there is none (or it was taken). */
  take<T>(key: string): Promise<T> | undefined {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry?.promise as Promise<T> | undefined;
  }

  /**
   * The answer of the request under `key` when it has already come (taking it, once), so the page
   * renders with it at once instead of showing a spinner for a render; undefined otherwise (the
   * request, if any, stays for `take`).
   */
  takeAnswered<T>(key: string): { value: T } | undefined {
    const result = this.entries.get(key)?.result as { value: T } | undefined;
    if (result) this.entries.delete(key);
    return result;
  }
}
