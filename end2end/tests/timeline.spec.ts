// The timeline, the event page and the basics of progressive enhancement, against demo data
// (`attest demo`). Names are read from the page, never hard-coded: the demo world may change.
//
// Helpers: `find` says where things are, `act` does what a person does, `check` states what
// must be true. Every wait is on a condition (a URL, an element, a text), never on time.
import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const find = {
  rows: (page: Page): Locator => page.locator('table.events tbody tr'),
  actorLinks: (page: Page): Locator => page.locator('table.events td.actor a'),
  actionLinks: (page: Page): Locator => page.locator('table.events td.action a'),
  eventLinks: (page: Page): Locator => page.locator('table.events a.row-link'),
  summaries: (page: Page): Locator => page.locator('table.events td.summary'),
  searchBox: (page: Page): Locator => page.getByRole('searchbox', { name: 'Search' }),
  filterField: (page: Page, label: string): Locator => page.getByLabel(label, { exact: true }),
  // A select's accessible name includes its chosen option ("Source All sources").
  sourceSelect: (page: Page): Locator => page.getByRole('combobox', { name: /^Source/ }),
  applyButton: (page: Page): Locator => page.getByRole('button', { name: 'Apply' }),
  olderLink: (page: Page): Locator => page.getByRole('link', { name: 'Older →' }),
  newestLink: (page: Page): Locator => page.getByRole('link', { name: '← Newest' }),
  chart: (page: Page): Locator => page.locator('figure.chart svg[role="img"]'),
  rawPayload: (page: Page): Locator => page.locator('#raw pre.json'),
  facts: (page: Page, panel: string): Locator =>
    page.locator('section.panel', { has: page.getByRole('heading', { name: panel }) }),
  alert: (page: Page): Locator => page.getByRole('alert'),
};

const act = {
  openTimeline: async (page: Page, query = ''): Promise<void> => {
    await page.goto(`/${query}`);
    await expect(find.rows(page).first()).toBeVisible();
  },
  /** Waits until the wasm has taken over the server-rendered page. */
  waitForHydration: async (page: Page): Promise<void> => {
    await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
  },
  filterWithForm: async (page: Page, label: string, value: string): Promise<void> => {
    await find.filterField(page, label).fill(value);
    await find.applyButton(page).click();
  },
  firstActor: async (page: Page): Promise<string> => (await find.actorLinks(page).first().innerText()).trim(),
  /**
   * Delivers a signed pull request with a hostile title when ATTEST_GITHUB_WEBHOOK_SECRET (the
   * server's secret) is set here too; says whether it did.
   */
  deliverHostileTitle: async (request: APIRequestContext, marker: string): Promise<boolean> => {
    const secret = process.env.ATTEST_GITHUB_WEBHOOK_SECRET?.split(',')[0];
    if (!secret) return false;
    const body = hostilePullRequest(marker);
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const response = await request.post('/hooks/github', {
      data: body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': marker,
        'x-hub-signature-256': `sha256=${signature}`,
      },
    });
    expect(response.status()).toBeLessThan(300);
    return true;
  },
  rowIds: async (page: Page): Promise<string[]> =>
    find.rows(page).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id') ?? '')),
};

/** GitHub's sample `pull_request` payload (from ../shared/fixtures), titled with markup. */
function hostilePullRequest(marker: string): string {
  const fixtures = process.env.ATTEST_FIXTURES ?? path.join(__dirname, '../../../shared/fixtures');
  const file = path.join(fixtures, 'github/webhooks/pull_request/closed.with-organization.payload.json');
  const payload = JSON.parse(readFileSync(file, 'utf8'));
  payload.pull_request.title = `<img src=x onerror="window.attestXss=1"> ${marker} <b>bold</b> & "quoted"`;
  return JSON.stringify(payload);
}

const check = {
  /** Every row on the page is by `actor` (and there is at least one). */
  onlyActor: async (page: Page, actor: string): Promise<void> => {
    await expect(async () => {
      const actors = (await find.actorLinks(page).allInnerTexts()).map((a) => a.trim());
      expect(actors.length).toBeGreaterThan(0);
      expect(new Set(actors)).toEqual(new Set([actor]));
    }).toPass();
  },
  urlHasParam: async (page: Page, key: string, value: string): Promise<void> => {
    await expect.poll(() => new URL(page.url()).searchParams.get(key)).toBe(value);
  },
  eventPage: async (page: Page, action: string): Promise<void> => {
    await expect(page).toHaveURL(/\/events\/\d+$/);
    await expect(find.facts(page, 'What happened')).toContainText(action);
    await expect(find.facts(page, 'Actor')).toBeVisible();
    await expect(find.facts(page, 'Delivery')).toContainText('normalized');
    await expect(find.rawPayload(page)).toBeVisible();
    // The raw payload is JSON, pretty-printed.
    await expect(find.rawPayload(page)).toContainText(/^\s*[{[]/);
  },
};

test.describe('timeline', () => {
  test('shows events newest first with a chart', async ({ page }) => {
    await act.openTimeline(page);
    await expect(page).toHaveTitle(/Timeline · Attest/);
    await expect(find.chart(page)).toHaveAttribute('aria-label', /Events per day/);
    const times = await page.locator('table.events td.time time').evaluateAll((els) =>
      els.map((el) => el.getAttribute('datetime') ?? ''),
    );
    expect(times.length).toBeGreaterThan(1);
    expect([...times].sort().reverse()).toEqual(times);
  });

  test('filters by actor with the form', async ({ page }) => {
    await act.openTimeline(page);
    const actor = await act.firstActor(page);
    await act.filterWithForm(page, 'Actor', actor);
    await check.urlHasParam(page, 'actor', actor);
    await check.onlyActor(page, actor);
    await expect(find.filterField(page, 'Actor')).toHaveValue(actor);
  });

  test('filters by actor from an actor link', async ({ page }) => {
    await act.openTimeline(page);
    // After hydration the link is followed in the browser, through the server functions.
    await act.waitForHydration(page);
    const link = find.actorLinks(page).nth(1);
    const actor = (await link.innerText()).trim();
    await link.click();
    await check.urlHasParam(page, 'actor', actor);
    await check.onlyActor(page, actor);
  });

  test('opens an event with its fields and raw payload', async ({ page }) => {
    await act.openTimeline(page);
    const action = (await find.actionLinks(page).first().innerText()).trim();
    const actor = await act.firstActor(page);
    await find.eventLinks(page).first().click();
    await check.eventPage(page, action);
    await expect(find.facts(page, 'Actor')).toContainText(actor);
    await page.getByRole('link', { name: `All events by ${actor}` }).click();
    await check.onlyActor(page, actor);
  });

  test('pages with Older and back to Newest', async ({ page }) => {
    await act.openTimeline(page);
    test.skip((await find.olderLink(page).count()) === 0, 'fewer events than one page');
    const first = await act.rowIds(page);
    await find.olderLink(page).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect.poll(async () => (await act.rowIds(page))[0]).not.toBe(first[0]);
    const second = await act.rowIds(page);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    await find.newestLink(page).click();
    await expect.poll(() => act.rowIds(page)).toEqual(first);
  });

  test('explains bad query values instead of failing', async ({ page }) => {
    const response = await page.goto('/?since=garbage&source=nope&cursor=not-a-cursor');
    expect(response?.status()).toBe(400);
    await expect(find.alert(page)).toContainText('garbage');
    await expect(find.alert(page)).toContainText('nope');
    const cursor = await page.goto('/?cursor=not-a-cursor');
    expect(cursor?.status()).toBe(400);
    await expect(find.alert(page)).toContainText('Older');
  });

  test('answers an unknown event with 404', async ({ page }) => {
    const response = await page.goto('/events/999999999');
    expect(response?.status()).toBe(404);
    await expect(find.alert(page)).toContainText('There is no event');
  });

  test('shows HTML-looking text in summaries as text', async ({ page, request }) => {
    // Deliver a signed pull request whose title is markup (scripts/e2e.sh hands the server's
    // webhook secret to the tests), then check it is shown as text everywhere.
    const marker = `e2e-${Date.now()}`;
    expect(await act.deliverHostileTitle(request, marker), 'ATTEST_GITHUB_WEBHOOK_SECRET is needed').toBe(true);
    await page.goto(`/?q=${marker}`);
    await expect(find.rows(page)).toHaveCount(1);
    // Nothing a payload says becomes an element: each summary is one text node in its link.
    expect(await page.locator('table.events :is(img, script, b, iframe)').count()).toBe(0);
    for (const cell of await find.summaries(page).all()) {
      expect(await cell.locator('a *').count()).toBe(0);
    }
    const summaries = await find.summaries(page).allInnerTexts();
    expect(summaries[0]).toContain(`<img src=x onerror="window.attestXss=1"> ${marker}`);
    await find.eventLinks(page).first().click();
    await expect(page.locator('h1.event-summary')).toContainText('<b>bold</b>');
    await expect(find.rawPayload(page)).toContainText('<img src=x');
    expect(await page.evaluate(() => (window as { attestXss?: number }).attestXss)).toBeUndefined();
  });
});

test.describe('ingest health', () => {
  test('lists deliveries per source', async ({ page }) => {
    await page.goto('/ingest');
    await expect(page).toHaveTitle(/Ingest health · Attest/);
    const sources = find.facts(page, 'Deliveries by source');
    await expect(sources.getByRole('row')).not.toHaveCount(0);
    await expect(sources).toContainText('GitHub');
    // Every source has a row; the e2e server configures only GitHub's secret.
    const row = (name: string) => sources.getByRole('row').filter({ hasText: name });
    await expect(row('GitHub')).toContainText('configured');
    await expect(row('GitHub')).not.toContainText('not configured');
    await expect(row('GitLab')).toContainText('not configured');
    await expect(row('Okta')).toContainText('POST /hooks/okta');
    await expect(find.facts(page, 'Recent failures')).toBeVisible();
  });
});

test.describe('with JavaScript', () => {
  test('hydrates: / focuses search, j and Enter open a row', async ({ page }) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /hydrat/i.test(msg.text())) errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await act.openTimeline(page);
    await act.waitForHydration(page);
    await page.locator('h1').click();
    await page.keyboard.press('/');
    await expect(find.searchBox(page)).toBeFocused();
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await expect(find.rows(page).first()).toHaveClass(/selected/);
    await page.keyboard.press('j');
    await expect(find.rows(page).nth(1)).toHaveClass(/selected/);
    const id = await find.rows(page).nth(1).getAttribute('data-event-id');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`/events/${id}$`));
    await expect(find.rawPayload(page)).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('choosing a source submits the filters', async ({ page }) => {
    await act.openTimeline(page);
    await act.waitForHydration(page);
    await find.sourceSelect(page).selectOption('cloudtrail');
    await check.urlHasParam(page, 'source', 'cloudtrail');
    await expect(async () => {
      const sources = await page.locator('table.events td.source').allInnerTexts();
      expect(sources.length).toBeGreaterThan(0);
      expect(new Set(sources.map((s) => s.trim()))).toEqual(new Set(['AWS CloudTrail']));
    }).toPass();
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('filters with the form and opens an event', async ({ page }) => {
    await act.openTimeline(page);
    await expect(page.locator('main[data-hydrated]')).toHaveCount(0);
    const actor = await act.firstActor(page);
    await act.filterWithForm(page, 'Actor', actor);
    await check.urlHasParam(page, 'actor', actor);
    await check.onlyActor(page, actor);
    const action = (await find.actionLinks(page).first().innerText()).trim();
    await find.eventLinks(page).first().click();
    await check.eventPage(page, action);
  });
});
