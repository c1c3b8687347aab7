// The findings page over the cloudsplaining example account (shared/fixtures/aws-iam, imported
// by scripts/e2e.sh): the checks grouped by kind with counts, one kind picked with the form, and
// a finding's principal leading to its access. obama holds AdministratorAccess in that export
// (worked out by hand in domain/tests/it/access_suite.rs), so he is a full administrator.
import { expect, test, type Locator, type Page } from '@playwright/test';

const find = {
  group: (page: Page, kind: string): Locator => page.locator(`section.finding-group[id="${kind}"]`),
  groups: (page: Page): Locator => page.locator('section.finding-group'),
  counts: (page: Page): Locator => page.locator('ul.finding-counts li'),
};

test.describe('findings', () => {
  test('groups the findings by kind, narrows to one kind, and leads to the access', async ({ page }) => {
    await page.goto('/findings');
    await expect(page.getByRole('heading', { name: 'Findings', level: 1 })).toBeVisible();
    const fullAdmin = find.group(page, 'aws.full_admin');
    await expect(fullAdmin).toBeVisible();
    const obama = fullAdmin.locator('tbody tr', { hasText: 'obama' }).first();
    await expect(obama).toBeVisible();
    await expect(obama).toContainText('200611803367');
    const kinds = await find.groups(page).count();
    expect(kinds).toBeGreaterThan(1);
    expect(await find.counts(page).count()).toBe(kinds);

    await page.getByLabel('Kind').selectOption('aws.full_admin');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('kind')).toBe('aws.full_admin');
    await expect(find.groups(page)).toHaveCount(1);
    await expect(fullAdmin).toBeVisible();

    await fullAdmin.locator('tbody tr td:first-child a', { hasText: 'obama' }).first().click();
    await expect(page).toHaveURL(/\/access\?who=/);
    await expect(page).toHaveTitle(/^Access of /);
    await expect(page.locator('table.access tbody tr').first()).toBeVisible();
  });

  test('says what is wrong with an unknown kind or a bad date', async ({ page }) => {
    const response = await page.goto('/findings?at=not-a-date');
    expect(response?.status()).toBe(400);
    await expect(page.getByRole('alert')).toContainText('not-a-date');
    const unknown = await page.goto('/findings?kind=no.such-check');
    expect(unknown?.status()).toBe(400);
    await expect(page.getByRole('alert')).toContainText('no.such-check');
  });
});
