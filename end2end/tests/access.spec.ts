// The access page against demo data (`attest demo`): from a recent grant change to what that
// person reaches, with paths, to who reaches one of those resources, and back. Names are read
// from the page, never hard-coded.
//
// Helpers: `find` says where things are, `act` does what a person does. Every wait is on a
// condition (a URL, an element, a text), never on time.
import { expect, test, type Locator, type Page } from '@playwright/test';

const find = {
  gainedChanges: (page: Page): Locator => page.locator('ul.changes li', { hasText: ' gained ' }),
  rows: (page: Page): Locator => page.locator('table.access tbody tr'),
  pathStarts: (page: Page): Locator => page.locator('table.access ul.paths .hop-from'),
  field: (page: Page, label: string): Locator => page.getByLabel(label, { exact: true }),
  showButton: (page: Page): Locator => page.getByRole('button', { name: 'Show' }),
  alert: (page: Page): Locator => page.getByRole('alert'),
  section: (page: Page, heading: string): Locator =>
    page.locator('section', { has: page.getByRole('heading', { name: heading, level: 2 }) }),
};

const act = {
  openAccess: async (page: Page, query = ''): Promise<void> => {
    await page.goto(`/access${query}`);
    await expect(page.getByRole('heading', { name: 'Access', level: 1 })).toBeVisible();
  },
};

test.describe('access', () => {
  test('follows a recent change to what the person reaches and who else reaches it', async ({ page }) => {
    await act.openAccess(page);
    await expect(page.getByRole('heading', { name: 'Recent access changes' })).toBeVisible();
    const change = find.gainedChanges(page).first();
    await expect(change).toBeVisible();
    const who = change.locator('a.who');
    const name = (await who.innerText()).trim();
    await who.click();

    // What they reach: every path starts with them.
    await expect(page).toHaveURL(/\/access\?who=/);
    await expect(page).toHaveTitle(/^Access of /);
    await expect(find.rows(page).first()).toBeVisible();
    const starts = (await find.pathStarts(page).allInnerTexts()).map((s) => s.trim());
    expect(starts.length).toBeGreaterThan(0);
    expect(new Set(starts)).toEqual(new Set([name]));

    // Their grant history holds what they gained, and their activity leads to the timeline.
    await expect(find.section(page, 'Grant history').locator('ul.changes li', { hasText: ' gained ' }).first())
      .toContainText(name);
    const allActivity = find.section(page, 'Recent activity').getByRole('link', { name: `All activity of ${name} on the timeline →` });
    await expect(allActivity).toBeVisible();

    // Who reaches the first resource: they are among the holders.
    const resource = find.rows(page).first().locator('td').first().locator('a');
    const resourceName = (await resource.innerText()).trim();
    await resource.click();
    await expect(page).toHaveURL(/\/access\?what=/);
    await expect(page).toHaveTitle(new RegExp(`^Who can reach `));
    await expect(page.locator('main')).toContainText(resourceName);
    await expect(find.rows(page).locator('td:first-child a', { hasText: name }).first()).toBeVisible();
    // The resource's own history: the demo's grants all come from recorded changes, so the
    // grants on it were recorded, and every change listed is on it.
    const onIt = find.section(page, 'Grant history').locator('ul.changes li a.what');
    await expect(onIt.first()).toBeVisible();
    const onItNames = (await onIt.allInnerTexts()).map((s) => s.trim());
    expect(new Set(onItNames)).toEqual(new Set([resourceName]));
  });

  test('asks by name with the form, and on a date before anything was granted', async ({ page }) => {
    await act.openAccess(page);
    const name = (await find.gainedChanges(page).first().locator('a.who').innerText()).trim();
    await find.field(page, 'Who').fill(name);
    await find.showButton(page).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('who')).toBe(name);
    await expect(find.rows(page).first()).toBeVisible();

    await find.field(page, 'On (UTC)').fill('2000-01-01');
    await find.showButton(page).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('at')).toBe('2000-01-01');
    await expect(page.getByText('Nothing is reachable at that time.')).toBeVisible();
  });

  test('draws the answer as a graph whose boxes lead on', async ({ page }) => {
    await act.openAccess(page);
    const who = find.gainedChanges(page).first().locator('a.who');
    const name = (await who.innerText()).trim();
    await who.click();
    await expect(page).toHaveURL(/\/access\?who=/);
    await page.getByRole('link', { name: 'Show as a graph' }).click();

    // The same question, drawn: the person's box is the focus, and grants join the boxes.
    await expect(page).toHaveURL(/\/access\/graph\?who=/);
    await expect(page).toHaveTitle(/^Access of .* \(graph\)/);
    const graph = page.locator('figure.access-graph svg');
    await expect(graph).toBeVisible();
    // The box's text may be shortened with an ellipsis; its title is the whole name.
    await expect(graph.locator('a.node.focus title').first()).toContainText(name);
    expect(await graph.locator('g.edge').count()).toBeGreaterThan(0);
    const boxes = await graph.locator('a.node').count();
    expect(boxes).toBeGreaterThan(1);

    // A box held by the person asks who can reach it, drawn the same way.
    const held = graph.locator('a.node:not(.focus)').first();
    const heldName = (await held.locator('title').textContent())?.split(' (')[0];
    await held.click();
    await expect(page).toHaveURL(/\/access\/graph\?what=/);
    await expect(graph.locator('a.node.focus title')).toContainText(heldName ?? '');
    await page.getByRole('link', { name: 'Show as a table' }).click();
    await expect(page).toHaveURL(/\/access\?what=/);
    await expect(find.rows(page).first()).toBeVisible();
  });

  test('explores the graph: expand, collapse and fold redraw in place', async ({ page }) => {
    await act.openAccess(page);
    await find.gainedChanges(page).first().locator('a.who').click();
    await expect(page).toHaveURL(/\/access\?who=/);
    await page.getByRole('link', { name: 'Show as a graph' }).click();
    await expect(page).toHaveURL(/\/access\/graph\?who=/);
    await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
    // A mark on the window: it survives only if no click loads the page again.
    await page.evaluate(() => { (window as unknown as { stayed: number }).stayed = 1; });
    const stayed = (): Promise<unknown> => page.evaluate(() => (window as unknown as { stayed?: number }).stayed);
    const graph = page.locator('figure.access-graph svg');
    const boxes = graph.locator('a.node');
    const before = await boxes.count();
    const question = new URL(page.url()).searchParams.get('who');

    // Expand the first box that can be: its own access is drawn too, and listed as expanded.
    const expand = graph.locator('a.control.open').first();
    const what = (await expand.locator('title').textContent()) ?? '';
    const name = what.replace(/^Expand /, '').replace(/: also draw .*$/, '');
    expect(name.length).toBeGreaterThan(0);
    await expand.click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('expand').length).toBe(1);
    expect(new URL(page.url()).searchParams.get('who')).toBe(question);
    const explored = page.locator('.explored');
    await expect(explored).toContainText(`expanded ${name}`);
    await expect(graph.locator('a.control.close title', { hasText: `Collapse ${name}:` })).toHaveCount(1);
    expect(await boxes.count()).toBeGreaterThanOrEqual(before);
    expect(await stayed()).toBe(1);

    // Collapse it with its own control: back to the answer alone.
    await graph.locator('a.control.close', { has: page.locator('title', { hasText: `Collapse ${name}:` }) }).click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('expand').length).toBe(0);
    await expect(explored).toHaveCount(0);
    await expect(boxes).toHaveCount(before);

    // Fold the boxes hanging on one box into it: fewer boxes, a count on it, undone from the list.
    const fold = graph.locator('a.control.close', { has: page.locator('title', { hasText: /^Fold into / }) }).first();
    // (What a person holds that nothing else on the picture reaches hangs on them alone.)
    await expect(fold).toHaveCount(1);
    await fold.click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('fold').length).toBe(1);
    await expect(explored).toContainText('folded ');
    expect(await boxes.count()).toBeLessThan(before);
    await expect(graph.locator('a.node text.note').first()).toContainText('+');
    await explored.getByRole('link', { name: 'Back to the answer alone' }).click();
    await expect(boxes).toHaveCount(before);
    expect(await stayed()).toBe(1);
  });

  test('says what is wrong with a question it cannot answer', async ({ page }) => {
    const response = await page.goto('/access?who=nobody-by-this-name');
    expect(response?.status()).toBe(404);
    await expect(find.alert(page)).toContainText('nobody-by-this-name');
    const bad = await page.goto('/access?who=x&at=not-a-date');
    expect(bad?.status()).toBe(400);
    await expect(find.alert(page)).toContainText('not a date');
  });
});
