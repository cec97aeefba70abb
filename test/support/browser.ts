import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const executablePath = '/usr/bin/chromium';

/**
 * Whether Debian's Chromium is here for a browser test. CI must have it
 * (.ci/run installs it); elsewhere its absence is said once and the test skipped.
 */
export function haveChromium(test: string): boolean {
  if (existsSync(executablePath)) return true;
  if (process.env.CI === 'true') throw new Error(`CI needs Chromium at ${executablePath} (.ci/run installs it)`);
  process.stderr.write(`\nChromium not found at ${executablePath}: ${test} is SKIPPED (apt-get install chromium).\n\n`);
  return false;
}

/** Headless Chromium with no background traffic (this machine's network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
