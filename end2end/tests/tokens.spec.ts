// The API tokens page, as the admin of the suite: a token is made for a role and shown once,
// works on the API until it is revoked, and both changes are in Attest's audit log.
import { expect, test } from '@playwright/test';

test('an admin makes an API token, sees it once, and revokes it', async ({ page, request }) => {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('link', { name: 'Tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible();
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();

  const name = `e2e-${Date.now()}`;
  await page.getByLabel('Name: who or what uses it').fill(name);
  await page.locator('select[name="role"]').selectOption('auditor');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('status').filter({ hasText: `Token ${name} (auditor) created` });
  await expect(shown).toBeVisible();
  const token = (await shown.locator('code.secret').innerText()).trim();
  expect(token.length).toBeGreaterThanOrEqual(32);
  const row = page.locator('table.tokens tbody tr', { hasText: name });
  await expect(row).toContainText('never');

  // The API answers it (a session cookie alone would not do).
  const api = () =>
    request.get('/api/v1/findings', { headers: { Authorization: `Bearer ${token}` } });
  expect((await api()).status()).toBe(200);

  // Shown once: reading the page again does not show it.
  await page.reload();
  await expect(page.locator('table.tokens tbody tr', { hasText: name })).toBeVisible();
  await expect(page.getByText(token)).toHaveCount(0);

  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Revoked ${name}` })).toBeVisible();
  await expect(page.locator('table.tokens tbody tr', { hasText: name })).toContainText('revoked');
  expect((await api()).status()).toBe(401);

  await page.goto('/audit?action=token.*');
  await expect(page.locator('main')).toContainText(name);
});
