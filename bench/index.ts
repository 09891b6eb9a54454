import { performance } from 'node:perf_hooks';
import { catalogBenchmark } from './catalog';
import { tabBenchmark } from './tab';
import { lifecycleBenchmark } from './lifecycle';
import { scaleoutBenchmark } from './scaleout';
import { type BenchModule, heading } from './lib';
import { teamsBenchmark } from './teams';

/**
 * `npm run bench`: runs every benchmark in order and prints its figures. A missed target is
 * printed, not fatal (figures vary with the machine); a benchmark that cannot run exits 1.
 * Add new benchmark files to this list; `npm run bench -- <word>` runs those whose name contains it.
 */
const benchmarks: BenchModule[] = [catalogBenchmark, lifecycleBenchmark, scaleoutBenchmark, tabBenchmark, teamsBenchmark];

async function main(): Promise<number> {
  let failed = 0;
  // `npm run bench -- teams` runs only the benchmarks whose name contains the word.
  const only = process.argv[2]?.toLowerCase();
  for (const bench of benchmarks.filter((b) => !only || b.name.toLowerCase().includes(only))) {
    heading(bench.name);
    const started = performance.now();
    try {
      await bench.run();
      console.log(`(${bench.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.error(`benchmark '${bench.name}' could not run:`, error);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
