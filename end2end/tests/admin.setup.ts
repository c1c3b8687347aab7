// Signs in once as Alice, an admin by her group at the test provider, through the provider's
// own login page, and keeps the session for the `chromium` project's tests.
import { test as setup, expect } from '@playwright/test';
import { ADMIN_STATE } from '../playwright.config';

setup('sign in as an admin through the identity provider', async ({ page }) => {
  await page.goto('/people');
  // Not signed in: the page sends us to sign in, remembering where we were going.
  await expect(page).toHaveURL(/\/signin\?next=%2Fpeople|\/signin\?next=\/people/);
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.getByLabel('E-mail').fill('alice@example.com');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/people$/);
  await expect(page.getByRole('heading', { name: 'People', level: 1 })).toBeVisible();
  await expect(page.locator('.whoami')).toContainText('Alice Admin');
  await page.context().storageState({ path: ADMIN_STATE });
});
