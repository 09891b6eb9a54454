import { boot, type Boot } from './app/boot';
import { parseRoute } from './app/route';

// Sign-in, and the first page's Graph calls, start now: while the app's code (React, Fluent, the
// pages; most of the JavaScript) still loads, not after it has run. index.html preloads that code
// (and on a direct link the package page's) and the settings, so all of them travel at once.
const booting = boot();

// Settles when sign-in is done and, signed in, the first page's Graph calls have answered (or failed).
const signedIn: Promise<Boot | undefined> = booting.then(
  (booted) => (booted.state === 'ready' ? booted.firstPage.then(() => booted) : booted),
  () => undefined,
);
const delay = (ms: number) => new Promise<undefined>((resolve) => setTimeout(resolve, ms));

// The first render waits for the first page's data and code, so it is the page itself instead of
// a spinner rendered first and replaced: a render less, on the first page the most expensive one.
// Never for long: inside Teams the host answers more slowly, and a slow Graph call shows the
// page's spinner.
void import('./app/start').then(({ start, firstPageCode }) => {
  const firstPage = Promise.all([signedIn, firstPageCode(parseRoute(location.hash))]).then(([booted]) => booted);
  return Promise.race([firstPage, delay(100)]).then((booted) => start(booting, booted));
});
