import { Browser, chromium } from 'playwright-core';

/** Debian's Chromium, which CI installs; tests drive the real browser, no bundled download. */
export const chromiumPath = process.env.PORTIER_CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium with the flags a shared CI machine needs. The caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
