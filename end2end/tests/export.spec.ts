// CSV exports, as the admin of the suite: the audit log downloads as a file named for what
// and when, and the download itself is then on the audit log; the timeline offers its filtered
// events the same way.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

test('an admin downloads the audit log as CSV, and the download is on the record', async ({ page }) => {
  await page.goto('/audit');
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  const name = download.suggestedFilename();
  expect(name).toMatch(/^attest-audit-log-\d{8}T\d{6}Z\.csv$/);
  const text = readFileSync(await download.path(), 'utf8');
  expect(text.split('\n')[0]).toBe('id,at,actor,role,action,target,detail,ip');
  expect(text).toContain('signin');

  await page.goto('/audit?action=export');
  await expect(page.locator('main')).toContainText(name);
});

test('the timeline offers its filtered events as CSV', async ({ page }) => {
  await page.goto('/?source=github');
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
  const link = page.getByRole('link', { name: 'Download CSV' });
  await expect(link).toHaveAttribute('href', '/export/events.csv?source=github');
});
