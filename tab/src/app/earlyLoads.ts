/**
 * Requests a page starts before it renders. Right after sign-in the app knows the route and has a
 * Graph client, so the first page's Graph calls start then, beside the rendering of the frame (and
 * the loading of a lazy page's code) instead of after it. Each one is taken once, by the page it is
 * for, when its parameters match; anything later (another search, a retry, a revisit) asks again.
 */
export class EarlyLoads {
  private readonly entries = new Map<string, Promise<unknown>>();

  /** Starts `load` now under `key` (a page's request and its parameters). */
  start<T>(key: string, load: () => Promise<T>): void {
    const promise = load();
    // Nobody may take it (the person navigates away first): its failure is then no one's to report.
    promise.catch(() => undefined);
    this.entries.set(key, promise);
  }

  /** The request started under `key`, once; undefined when there is none (or it was taken). */
  take<T>(key: string): Promise<T> | undefined {
    const promise = this.entries.get(key) as Promise<T> | undefined;
    this.entries.delete(key);
    return promise;
  }
}
