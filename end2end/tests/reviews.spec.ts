// Access reviews as a manager of the demo organisation sees them: signed in through the test
// provider, My reviews lists their people's grants with the evidence of use; they keep one by
// keyboard, keep two in bulk and revoke one with a justification. Then the same decisions by
// plain forms with JavaScript off. The demo's running campaign names the managers; the admin's
// round page says who has the most items.
import { expect, test, Browser, Page } from '@playwright/test';

/** Managers of the demo organisation, most items first, read from the running round's page. */
async function managersWithItems(page: Page): Promise<string[]> {
  await page.goto('/campaigns');
  await page.getByRole('link', { name: /^Quarterly access review/ }).first().click();
  await expect(page.getByRole('img', { name: /items decided/ })).toBeVisible();
  const cells = await page.locator('table.review-round tbody tr td:nth-child(3)').allTextContents();
  const counts = new Map<string, number>();
  for (const cell of cells) {
    const email = cell.match(/[a-z0-9._+-]+@acme-corp\.com/)?.[0];
    if (email && cell.includes('manager')) counts.set(email, (counts.get(email) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([email]) => email);
}

async function signInAs(browser: Browser, email: string, javaScriptEnabled: boolean) {
  const context = await browser.newContext({ javaScriptEnabled, storageState: undefined });
  const page = await context.newPage();
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.whoami')).toContainText('reviewer');
  return { context, page };
}

/** The ids of the items on My reviews, top to bottom. */
async function itemIds(page: Page): Promise<string[]> {
  return page.locator('article.review-item').evaluateAll((items) => items.map((i) => i.id));
}

test('a manager reviews with the evidence in front of them: keyboard, bulk keep, revoke with a reason', async ({ page, browser }) => {
  const [manager] = await managersWithItems(page);
  expect(manager).toBeTruthy();
  const { context, page: inbox } = await signInAs(browser, manager, true);
  await inbox.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My reviews' }).click();
  await expect(inbox.getByRole('heading', { name: 'My reviews', level: 1 })).toBeVisible();
  await expect(inbox.locator('main[data-hydrated="true"]')).toBeAttached();
  const ids = await itemIds(inbox);
  expect(ids.length).toBeGreaterThanOrEqual(4);
  // Every item shows the holder's last use (a link to the event) or says there is none, and a
  // recommendation with its reason.
  const first = inbox.locator(`#${ids[0]}`);
  await expect(first.locator('dd.usage')).toContainText(/\d{4}-\d{2}-\d{2}|no use recorded/);
  await expect(first.locator('dd.recommendation')).toContainText(/(Keep|Revoke): .+/);
  await expect(inbox.locator('dd.usage a[href^="/events/"]').first()).toBeVisible();

  // j moves to the first item, a keeps it.
  await inbox.locator('h1').click();
  await inbox.keyboard.press('j');
  await expect(first).toBeFocused();
  await inbox.keyboard.press('a');
  await expect(inbox.getByRole('status')).toHaveText('Keep: 1 item.');
  await expect(inbox.locator(`#${ids[0]}`)).toContainText('Decided: Keep');

  // Two more ticked and kept at once.
  await inbox.locator(`#${ids[1]} header input[type=checkbox]`).check();
  await inbox.locator(`#${ids[2]} header input[type=checkbox]`).check();
  await inbox.getByRole('button', { name: 'Keep ticked' }).click();
  await expect(inbox.getByRole('status')).toHaveText('Keep: 2 items.');
  for (const id of ids.slice(1, 3)) await expect(inbox.locator(`#${id}`)).toContainText('Decided: Keep');

  // A revoke needs a reason: without one it is refused and says so; with one it is recorded.
  const fourth = inbox.locator(`#${ids[3]}`);
  await fourth.getByRole('button', { name: 'Revoke' }).click();
  await expect(inbox.getByRole('alert')).toContainText('asks for a justification to revoke');
  await fourth.locator('form.decide input[name=justification]').fill('left the payments team');
  await fourth.getByRole('button', { name: 'Revoke' }).click();
  await expect(inbox.getByRole('status')).toHaveText('Revoke: 1 item.');
  await expect(inbox.locator(`#${ids[3]}`)).toContainText('Decided: Revoke');
  await context.close();
});

test('the same review works without JavaScript', async ({ page, browser }) => {
  const managers = await managersWithItems(page);
  const manager = managers[1] ?? managers[0];
  const { context, page: inbox } = await signInAs(browser, manager, false);
  await inbox.goto('/reviews');
  const ids = await itemIds(inbox);
  expect(ids.length).toBeGreaterThanOrEqual(2);
  const undecided = [];
  for (const id of ids) {
    if (!(await inbox.locator(`#${id}`).textContent())?.includes('Decided:')) undecided.push(id);
  }
  expect(undecided.length).toBeGreaterThanOrEqual(2);
  // Tick and keep in bulk: the checkboxes belong to the bulk form by their form attribute.
  await inbox.locator(`#${undecided[0]} header input[type=checkbox]`).check();
  await inbox.getByRole('button', { name: 'Keep ticked' }).click();
  await expect(inbox).toHaveURL(/\/reviews/);
  await expect(inbox.locator(`#${undecided[0]}`)).toContainText('Decided: Keep');
  // Revoke one with its reason from its own form.
  const other = inbox.locator(`#${undecided[1]}`);
  await other.locator('form.decide input[name=justification]').fill('no longer on call');
  await other.getByRole('button', { name: 'Revoke' }).click();
  await expect(inbox.locator(`#${undecided[1]}`)).toContainText('Decided: Revoke');
  await context.close();
});
