// The people pages against demo data (`attest demo` imports its people directory): from a
// recent access change to the person behind the login, their accounts, manager and reports, and
// on to what they can reach. Names are read from the pages, never hard-coded.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { ADMIN_STATE } from '../playwright.config';

const find = {
  peopleRows: (page: Page): Locator => page.locator('table.people tbody tr'),
  accountRows: (page: Page): Locator => page.locator('table.accounts tbody tr'),
  field: (page: Page, label: string): Locator => page.getByLabel(label, { exact: true }),
  alert: (page: Page): Locator => page.getByRole('alert'),
  facts: (page: Page, term: string): Locator => page.locator('dl.facts dt', { hasText: term }).locator('+ dd'),
};

test.describe('people', () => {
  test('finds the person behind a login and leads to what they reach', async ({ page }) => {
    // Recent changes name people and machines (roles, bots): the first that is someone's login.
    await page.goto('/access');
    const gained = page.locator('ul.changes li', { hasText: ' gained ' }).locator('a.who');
    await expect(gained.first()).toBeVisible();
    const names = [...new Set((await gained.allInnerTexts()).map((s) => s.trim()))];
    let login = '';
    for (const name of names) {
      await page.goto(`/people?q=${encodeURIComponent(name)}`);
      await expect(page.getByRole('heading', { name: 'People', level: 1 })).toBeVisible();
      if ((await find.peopleRows(page).filter({ hasText: name }).count()) > 0) {
        login = name;
        break;
      }
    }
    expect(login, `one of ${names.join(', ')} is a person's login`).not.toBe('');

    // Searched with the form, as a person would.
    await page.goto('/people');
    await find.field(page, 'E-mail, name or account').fill(login);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(new RegExp(`/people\\?q=`));
    const row = find.peopleRows(page).filter({ hasText: login }).first();
    await expect(row).toBeVisible();
    const name = (await row.locator('td').first().innerText()).trim();
    await row.locator('td').first().getByRole('link').click();

    // Their page: the login among their accounts, from the people import.
    await expect(page).toHaveURL(/\/people\/[^/?]+$/);
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
    const account = find.accountRows(page).filter({ hasText: login });
    await expect(account).toContainText('people import');
    await expect(page.locator('main')).toContainText('No decision by hand');
    const email = (await find.facts(page, 'E-mail').innerText()).trim();
    expect(email).toContain('@');

    // What they reach, walked from every account of theirs, and back to their page.
    await page.getByRole('link', { name: 'What they can reach' }).click();
    await expect(page).toHaveURL(/\/access\?who=/);
    await expect(page.locator('table.access tbody tr').first()).toBeVisible();
    const starts = (await page.locator('table.access ul.paths .hop-from').allInnerTexts()).map((s) => s.trim());
    expect(starts).toContain(login);
    await page.getByRole('link', { name, exact: true }).click();
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  });

  test('a manager lists their reports, who name them back', async ({ page }) => {
    await page.goto('/people');
    const managed = find.peopleRows(page).filter({ has: page.locator('td:nth-child(4) a') }).first();
    await expect(managed).toBeVisible();
    const name = (await managed.locator('td').first().innerText()).trim();
    const email = (await managed.locator('td').nth(1).innerText()).trim();
    await managed.locator('td:nth-child(4) a').click();
    await expect(page).toHaveURL(/\/people\//);
    await expect(find.facts(page, 'Reports').getByRole('link', { name: email })).toBeVisible();
    await find.facts(page, 'Reports').getByRole('link', { name: email }).click();
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  });

  test('answers an unknown person with 404 and a way on', async ({ page }) => {
    const response = await page.goto('/people/nobody%40example.invalid');
    expect(response?.status()).toBe(404);
    await expect(find.alert(page)).toContainText('No people import names');
    await expect(page.getByRole('link', { name: 'People' }).first()).toBeVisible();
  });

  test('an admin links and unlinks an account on the person page, with the record kept', async ({ page }) => {
    // The last person of the first page: not the one the first test follows.
    await page.goto('/people');
    const row = find.peopleRows(page).last();
    const name = (await row.locator('td').first().innerText()).trim();
    await row.locator('td').first().getByRole('link').click();
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
    await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
    const login = `e2e-old-login-${Date.now()}`;

    // Linked in the browser (the server function is called, the page is read again).
    const link = page.locator('fieldset', { hasText: 'Link an account' });
    await link.locator('select[name="source"]').selectOption('github');
    await link.getByLabel('Account, as the source names it').fill(login);
    await link.getByLabel('Why').fill('their login before the rename');
    await link.getByRole('button', { name: 'Link' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Recorded #' })).toContainText(`Linked github account ${login}`);
    const account = find.accountRows(page).filter({ hasText: login });
    await expect(account).toContainText('linked by hand');
    await expect(page.locator('table.record tbody tr').first()).toContainText('their login before the rename');

    // The same again is refused with the reason, on the page.
    await link.locator('select[name="source"]').selectOption('github');
    await link.getByLabel('Account, as the source names it').fill(login);
    await link.getByLabel('Why').fill('again');
    await link.getByRole('button', { name: 'Link' }).click();
    await expect(find.alert(page)).toContainText('is already');

    // Unlinked beside the account.
    await account.getByText('Unlink…').click();
    await account.getByLabel('Why').fill('not theirs after all');
    await account.getByRole('button', { name: 'Unlink' }).click();
    await expect(find.accountRows(page).filter({ hasText: login })).toHaveCount(0);
    await expect(page.locator('table.record tbody tr').first()).toContainText('not theirs after all');

    // Attest's own audit log has both, by the admin.
    await page.goto('/audit?action=person.*');
    await expect(page.locator('main')).toContainText(`unlinked github account ${login}`);
    await expect(page.locator('main')).toContainText(`linked github account ${login}`);
  });

  test('the corrections work without JavaScript', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: ADMIN_STATE });
    const page = await context.newPage();
    await page.goto('/people');
    const row = find.peopleRows(page).last();
    const name = (await row.locator('td').first().innerText()).trim();
    await row.locator('td').first().getByRole('link').click();
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
    const login = `e2e-plain-form-${Date.now()}`;
    const link = page.locator('fieldset', { hasText: 'Link an account' });
    await link.locator('select[name="source"]').selectOption('gitlab');
    await link.getByLabel('Account, as the source names it').fill(login);
    await link.getByLabel('Why').fill('posted by a plain form');
    await link.getByRole('button', { name: 'Link' }).click();
    // The browser is sent back to the page, which shows the decision.
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
    await expect(find.accountRows(page).filter({ hasText: login })).toContainText('linked by hand');
    // A refusal comes back on the page, which is otherwise fine.
    await link.locator('select[name="source"]').selectOption('gitlab');
    await link.getByLabel('Account, as the source names it').fill(login);
    await link.getByLabel('Why').fill('twice');
    await link.getByRole('button', { name: 'Link' }).click();
    await expect(find.alert(page)).toContainText('is already');
    await context.close();
  });
});
