// The webhook secrets page, as the admin of the suite: a secret is made for GitLab's endpoint
// and shown once, GitLab deliveries carrying it are accepted until it is revoked, and both
// changes are in Attest's audit log.
import { expect, test } from '@playwright/test';

test('an admin makes a webhook secret, the endpoint takes it, and revoking it closes it', async ({
  page,
  request,
}) => {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { name: 'Webhook secrets', level: 1 })).toBeVisible();
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
  // The settings' GitHub secret is counted, never shown.
  const settings = page.locator('table.endpoints tbody tr', { hasText: '/hooks/github' });
  await expect(settings).toContainText('ATTEST_GITHUB_WEBHOOK_SECRET');
  await expect(page.getByText('e2e-secret')).toHaveCount(0);

  const name = `gitlab-${Date.now()}`;
  await page.locator('select[name="endpoint"]').selectOption('gitlab');
  await page.getByLabel('Name: which sender uses it').fill(name);
  await page.getByRole('button', { name: 'Make secret' }).click();
  const shown = page.getByRole('status').filter({ hasText: `Secret ${name} made for /hooks/gitlab` });
  await expect(shown).toBeVisible();
  await expect(shown).toContainText('Secret token');
  const secret = (await shown.locator('code.secret').innerText()).trim();
  expect(secret).toMatch(/^attest_whs_/);
  const row = page.locator('table.tokens tbody tr', { hasText: name });
  await expect(row).toContainText('never');

  const deliver = (token: string) =>
    request.post('/hooks/gitlab', {
      headers: {
        'X-Gitlab-Token': token,
        'X-Gitlab-Event': 'System Hook',
        'Content-Type': 'application/json',
      },
      data: { object_kind: 'e2e', event_name: 'e2e' },
    });
  expect((await deliver(secret)).status()).toBe(202);
  expect((await deliver('not-the-secret')).status()).toBe(401);

  // Shown once; its last use is now on the page.
  await page.reload();
  await expect(page.getByText(secret)).toHaveCount(0);
  await expect(page.locator('table.tokens tbody tr', { hasText: name })).not.toContainText('never');

  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Revoked ${name}` })).toBeVisible();
  await expect(page.locator('table.tokens tbody tr', { hasText: name })).toContainText('revoked');
  // It was GitLab's only secret: the endpoint is closed again (503 says none is set).
  expect((await deliver(secret)).status()).toBe(503);

  await page.goto('/audit?action=hook_secret.*');
  await expect(page.locator('main')).toContainText(name);
});
