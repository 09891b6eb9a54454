/**
 * Runs `request` while polling `${url}/healthz` every 10 ms; returns its result, how long it took and
 * the slowest health check: the availability tests measure that the server keeps answering.
 */
export async function whileProbingHealth<T>(url: string, request: () => Promise<T>): Promise<{ result: T; elapsedMs: number; slowestHealthMs: number; healthChecks: number }> {
  let done = false;
  let slowest = 0;
  let checks = 0;
  const probe = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      slowest = Math.max(slowest, performance.now() - started);
      checks += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const started = performance.now();
  const result = await request();
  const elapsedMs = performance.now() - started;
  done = true;
  await probe;
  return { result, elapsedMs, slowestHealthMs: slowest, healthChecks: checks };
}
