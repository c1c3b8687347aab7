// Playwright drives Debian's Chromium (no browser downloads) against an `attest serve` that is
// already running, by default on 127.0.0.1:3000 (set ATTEST_BASE_URL to point elsewhere), that
// signs people in with the test OpenID provider (oidc/provider.mjs; scripts/e2e.sh starts both).
// The `signin` project signs in once as Alice (admin) through the provider's own login page and
// keeps the session for the other tests; tests/signin.spec.ts starts from no session.
import { defineConfig } from '@playwright/test';

const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
};

/** Where the admin's signed-in session is kept between the projects. */
export const ADMIN_STATE = 'test-results/.auth/admin.json';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: process.env.ATTEST_BASE_URL ?? 'http://127.0.0.1:3000',
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'signin', testMatch: /admin\.setup\.ts/, use: chromium },
    {
      name: 'chromium',
      testIgnore: /signin\.spec\.ts/,
      dependencies: ['signin'],
      use: { ...chromium, storageState: ADMIN_STATE },
    },
    { name: 'signed-out', testMatch: /signin\.spec\.ts/, use: chromium },
  ],
});
