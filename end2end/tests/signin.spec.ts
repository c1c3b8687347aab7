// Sign-in from no session, through the test OpenID provider: the role decides the pages; an
// account no rule admits is refused with the reason; signing out ends the session; and the
// pages run under the Content Security Policy without a single violation.
import { test, expect, Page } from '@playwright/test';

async function signIn(page: Page, email: string) {
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an auditor sees the pages of their role, signs out, and is signed out', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  await signIn(page, 'bob@example.com');
  await expect(page).toHaveURL(/\/$/);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Audit log' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Findings' })).toBeVisible();
  await expect(page.locator('.whoami')).toContainText('auditor');
  // The page hydrated: the wasm ran under the policy.
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();

  await nav.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'bob@example.com' }).first()).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin\?signed_out=1$/);
  await expect(page.getByText('You are signed out.')).toBeVisible();
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/signin\?next=/);
  expect(violations).toEqual([]);
});

test('an account that no rule gives a role is refused with the reason', async ({ page }) => {
  await signIn(page, 'carol@example.com');
  await expect(page).toHaveURL(/\/signin\?error=no_role$/);
  await expect(page.getByRole('alert')).toContainText('gives your account no role');
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin\?next=/);
});

test('pages work without JavaScript: sign in and out by links and forms alone', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, 'alice@example.com');
  await expect(page.getByRole('heading', { name: 'Timeline', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByText('You are signed out.')).toBeVisible();
  await context.close();
});
