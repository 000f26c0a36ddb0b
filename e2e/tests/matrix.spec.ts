import { createRequire } from 'node:module';
import { expect, test, type Browser, type BrowserContextOptions, type Locator, type Page } from '@playwright/test';
import { login, TestClient } from '@parley/backend/testing';
import { callTranslator } from '../../widget/src/call/strings.js';
import { translator, type Translate } from '../../widget/src/i18n.js';
import { MATRIX_ARCHIVE, MATRIX_FILES } from '../seed.js';
import { holdUploads, serveSeededFiles } from './media.js';
import { baseUrl } from './widget.js';

/**
 * Every screen of the widget, checked by machine: states × viewports × themes × locales.
 *
 * One signed-in page per configuration walks through every state (it is moved from screen to
 * screen, not signed in again per cell). In each cell of the matrix:
 *   - axe finds no serious or critical violation in the widget;
 *   - no visible button, link or field is covered: the element at its centre (asked of the shadow
 *     root) is the control itself or inside it;
 *   - no text is clipped or runs out of its box horizontally (ellipsis, a deliberate truncation,
 *     is allowed);
 *   - the keyboard (Tab) reaches every control;
 *   - a screenshot goes to the test's output folder (test-results/) for people to review.
 *
 * Every state runs on both viewports in the default theme and locale, and on the desktop in Arabic
 * (the panel mirrored, right to left); dark, zh-CN and Arabic on the phone run on a representative
 * subset (`subset: true`). A new screen gets a step here.
 */

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} satisfies Record<string, BrowserContextOptions>;
type Viewport = keyof typeof VIEWPORTS;

interface Configuration {
  viewport: Viewport;
  mode: 'light' | 'dark';
  locale: 'en' | 'zh-CN' | 'ar';
  /** Only the states marked `subset` are checked (the others are still walked through). */
  subsetOnly: boolean;
}

const CONFIGURATIONS: Configuration[] = [
  ...(['desktop', 'phone'] as const).map((viewport) => ({ viewport, mode: 'light', locale: 'en', subsetOnly: false })),
  ...(['desktop', 'phone'] as const).map((viewport) => ({ viewport, mode: 'dark', locale: 'en', subsetOnly: true })),
  ...(['desktop', 'phone'] as const).map((viewport) => ({
    viewport,
    mode: 'light',
    locale: 'zh-CN',
    subsetOnly: true,
  })),
  // Right to left: every state mirrored on the desktop, the subset on the phone.
  { viewport: 'desktop', mode: 'light', locale: 'ar', subsetOnly: false },
  { viewport: 'phone', mode: 'light', locale: 'ar', subsetOnly: true },
] as Configuration[];

/** What a step may use: the page, the strings of its locale, the panel. */
interface Ui {
  page: Page;
  /** This configuration checks the subset only (dark, zh-CN). */
  subsetOnly: boolean;
  t: Translate;
  viewport: Viewport;
  panel: Locator;
}

interface State {
  name: string;
  /** Checked in every configuration, not only the default one. */
  subset?: boolean;
  /** Screens that exist only on wide viewports. */
  desktopOnly?: boolean;
  /** Moves the page from the previous state into this one and waits until it shows. */
  go: (ui: Ui) => Promise<void>;
}

const starts = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

/** The matrix user (e2e/seed.ts): Tess, with buddies, a request, a blocked user, rooms and history. */
const UMA = 'Uma Wolfeschlegelsteinhausenbergerdorff';
const ROOM = 'Design review';

/** Uma's own socket, ringing Tess for the call states (a test client: it never answers with media). */
let caller: TestClient | null = null;
/**
 * Each configuration's call leaves a call-log message in Tess and Uma's chat (the server writes one
 * per call). Asked of the server when a configuration starts (see {@link callLogsSoFar}), not only
 * counted here: Playwright starts a new worker after a failed test, which would forget the count.
 */
let callLogs = 0;
const AGENDA = 'Agenda for ten o’clock';
/** Tess's newest message whose own text (not a quote of it) holds `text`. */
const own = (panel: Locator, text: string) =>
  panel
    .locator('li.message.mine')
    .filter({ has: panel.page().locator('.body', { hasText: text }) })
    .last();

const STATES: State[] = [
  {
    name: 'launcher',
    go: async ({ page, t }) => {
      await expect(page.getByRole('button', { name: starts(t('openChat')) })).toBeVisible();
    },
  },
  {
    name: 'sign-in',
    go: async ({ page, t, panel }) => {
      await page.getByRole('button', { name: starts(t('openChat')) }).click();
      await expect(panel.getByLabel(t('username'))).toBeVisible();
    },
  },
  {
    name: 'sign-in-error',
    subset: true,
    go: async ({ t, panel }) => {
      await panel.getByLabel(t('username')).fill('tess');
      await panel.getByLabel(t('password')).fill('not her password');
      await panel.getByRole('button', { name: t('signIn') }).click();
      await expect(panel.getByRole('alert')).toBeVisible();
    },
  },
  {
    name: 'buddy-list',
    subset: true,
    go: async ({ t, panel }) => {
      await panel.getByLabel(t('password')).fill('tess-pass');
      await panel.getByRole('button', { name: t('signIn') }).click();
      const buddies = panel.getByRole('navigation', { name: t('buddies') });
      await expect(buddies.getByRole('button', { name: starts(UMA) })).toBeVisible();
      await expect(buddies.getByRole('region', { name: t('requests') })).toBeVisible();
    },
  },
  {
    name: 'buddy-search',
    go: async ({ t, panel }) => {
      await panel.getByRole('searchbox', { name: t('searchPeople') }).fill('ka');
      await panel.getByRole('button', { name: t('search'), exact: true }).click();
      await expect(panel.getByRole('button', { name: `${t('add')} Kate` })).toBeVisible();
    },
  },
  {
    name: 'chats',
    go: async ({ t, panel }) => {
      await panel.getByRole('tab', { name: t('chats') }).click();
      await expect(panel.getByRole('region', { name: t('invitations') })).toBeVisible();
      await expect(panel.getByRole('button', { name: starts(ROOM) })).toBeVisible();
    },
  },
  {
    name: 'room-chat',
    subset: true,
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: starts(ROOM) }).click();
      await expect(panel.getByRole('list', { name: t('messages', { name: ROOM }) }).locator('li.message')).toHaveCount(
        3,
      );
    },
  },
  {
    name: 'room-members',
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: t('members') }).click();
      await expect(panel.getByRole('region', { name: t('members') })).toBeVisible();
    },
  },
  {
    // Search in a room's history: results newest first, the matches marked.
    name: 'message-search',
    subset: true,
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: t('back'), exact: true }).click();
      await panel.getByRole('button', { name: starts(MATRIX_ARCHIVE.room) }).click();
      await panel.getByRole('button', { name: t('searchMessages') }).click();
      const field = panel.getByRole('searchbox', { name: t('searchMessages') });
      await field.fill(MATRIX_ARCHIVE.query);
      await field.press('Enter');
      const results = panel.getByRole('list', { name: t('searchResults') }).getByRole('button');
      await expect(results).toHaveCount(MATRIX_ARCHIVE.results);
    },
  },
  {
    // The oldest result is older than the newest page: a window of older history, "Jump to latest".
    name: 'history-window',
    go: async ({ t, panel }) => {
      await panel
        .getByRole('list', { name: t('searchResults') })
        .getByRole('button')
        .last()
        .click();
      const target = panel
        .getByRole('list', { name: t('messages', { name: MATRIX_ARCHIVE.room }) })
        .locator('li.target');
      await expect(target).toBeFocused();
      await expect(panel.getByRole('button', { name: starts(t('jumpToLatest')) })).toBeVisible();
    },
  },
  {
    name: 'chat',
    subset: true,
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: t('back'), exact: true }).click();
      await panel.getByRole('tab', { name: t('buddies') }).click();
      await panel
        .getByRole('navigation', { name: t('buddies') })
        .getByRole('button', { name: starts(UMA) })
        .click();
      const list = panel.getByRole('list', { name: t('messages', { name: UMA }) });
      await expect(list.locator('li.message')).toHaveCount(17 + callLogs);
      // The seeded files (e2e/seed.ts): a thumbnail (loaded), a voice message, a PDF card.
      await expect(list.getByRole('img', { name: MATRIX_FILES.image.name })).toHaveJSProperty('complete', true);
      await expect(list.locator('.audio-player')).toHaveAttribute('data-duration-ms', '4200');
      await expect(list.getByRole('link', { name: t('download', { name: MATRIX_FILES.pdf.name }) })).toBeVisible();
    },
  },
  {
    name: 'image-viewer',
    go: async ({ t, panel, page }) => {
      await panel.getByRole('button', { name: t('openImage', { name: MATRIX_FILES.image.name }) }).click();
      const viewer = page.getByRole('dialog', { name: t('imageViewer', { name: MATRIX_FILES.image.name }) });
      await expect(viewer.getByRole('img')).toHaveJSProperty('complete', true);
      await expect(viewer.getByRole('button', { name: t('close') })).toBeFocused();
    },
  },
  {
    name: 'upload-progress',
    go: async ({ t, panel, page }) => {
      await page.keyboard.press('Escape');
      await expect(
        panel.getByRole('button', { name: t('openImage', { name: MATRIX_FILES.image.name }) }),
      ).toBeFocused();
      // The upload is held open by the route in openWidget: its bubble stays, with its progress bar.
      await panel.locator('input[type=file]').setInputFiles({
        name: 'budget-2027.xlsx',
        mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        buffer: Buffer.alloc(64 * 1024, 1),
      });
      await expect(
        panel.getByRole('progressbar', { name: t('uploading', { name: 'budget-2027.xlsx' }) }),
      ).toBeVisible();
    },
  },
  {
    name: 'recording',
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: t('cancel'), exact: true }).click();
      await expect(panel.getByRole('progressbar', { name: t('uploading', { name: 'budget-2027.xlsx' }) })).toHaveCount(
        0,
      );
      await panel.getByRole('button', { name: t('recordVoice') }).click();
      await expect(panel.getByRole('timer')).toBeVisible();
      await expect(panel.getByRole('button', { name: t('stopAndSend') })).toBeVisible();
    },
  },
  {
    name: 'emoji',
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: t('cancelRecording') }).click();
      await panel.getByRole('button', { name: t('emoji') }).click();
      await expect(panel.getByRole('group', { name: t('emoji') })).toBeVisible();
    },
  },
  {
    // A fresh message of Tess's (editable: younger than the edit window) with its actions menu open.
    name: 'message-actions',
    subset: true,
    go: async ({ t, panel }) => {
      await panel.getByRole('button', { name: t('emoji') }).click();
      const box = panel.getByRole('textbox', { name: t('messageTo', { name: UMA }) });
      await box.fill(AGENDA);
      await box.press('Enter');
      const mine = own(panel, AGENDA);
      await expect(mine).toBeVisible();
      await mine.hover();
      await mine.getByRole('button', { name: t('messageActions') }).click();
      await expect(mine.getByRole('menu', { name: t('messageActions') })).toBeVisible();
      await expect(mine.getByRole('menuitemcheckbox').first()).toBeFocused();
    },
  },
  {
    name: 'editing',
    go: async ({ t, panel }) => {
      await panel.getByRole('menuitem', { name: t('edit') }).click();
      await expect(panel.getByRole('group', { name: t('editing') })).toBeVisible();
      await expect(panel.getByRole('textbox', { name: t('messageTo', { name: UMA }) })).toHaveValue(AGENDA);
    },
  },
  {
    // The edited message with its mark and a reaction, and a reply quoting it.
    name: 'message-changes',
    subset: true,
    go: async ({ t, panel }) => {
      const box = panel.getByRole('textbox', { name: t('messageTo', { name: UMA }) });
      await box.fill(`${AGENDA}, room 4`);
      await box.press('Enter');
      const edited = own(panel, `${AGENDA}, room 4`);
      await expect(edited.getByRole('button', { name: t('edited') })).toBeVisible();
      await edited.hover();
      await edited.getByRole('button', { name: t('messageActions') }).click();
      await edited.getByRole('menuitemcheckbox', { name: t('reactWith', { emoji: '👍' }) }).click();
      await expect(edited.getByRole('button', { name: starts('👍 1') })).toHaveAttribute('aria-pressed', 'true');
      await edited.getByRole('button', { name: t('messageActions') }).click();
      await edited.getByRole('menuitem', { name: t('reply') }).click();
      await expect(panel.getByRole('group', { name: t('replyingTo', { name: t('youName') }) })).toBeVisible();
      await box.fill('Room 4 is booked.');
      await box.press('Enter');
      const reply = panel.locator('li.message.mine[data-state="sent"]').filter({ hasText: 'Room 4 is booked.' }).last();
      await expect(reply.locator('.quote')).toContainText(`${AGENDA}, room 4`);
    },
  },
  {
    // The edited message deleted for everyone: a tombstone, and the reply's quote says so.
    name: 'tombstone',
    subset: true,
    go: async ({ t, panel }) => {
      const edited = own(panel, `${AGENDA}, room 4`);
      await edited.hover();
      await edited.getByRole('button', { name: t('messageActions') }).click();
      await edited.getByRole('menuitem', { name: t('deleteForEveryone') }).click();
      await edited.getByRole('menuitem', { name: t('confirmDeleteForEveryone') }).click();
      await expect(own(panel, 'Room 4 is booked.').locator('.quote')).toContainText(t('messageDeleted'));
      await expect(panel.locator('li.message .body.deleted').last()).toHaveText(t('messageDeleted'));
    },
  },
  {
    name: 'buddy-options',
    go: async ({ t, panel }) => {
      // The message-change states leave the chat as they found it: Tess deletes their two messages
      // for herself (the seeded picture must stay near the bottom for the next configuration).
      for (const item of [
        own(panel, 'Room 4 is booked.'),
        panel.locator('li.message.mine:has(.body.deleted)').last(),
      ]) {
        await item.hover();
        await item.getByRole('button', { name: t('messageActions') }).click();
        await item.getByRole('menuitem', { name: t('deleteForMe') }).click();
      }
      await expect(panel.getByRole('list', { name: t('messages', { name: UMA }) }).locator('li.message')).toHaveCount(
        17 + callLogs,
      );
      await panel.getByRole('button', { name: t('buddyOptions') }).click();
      await expect(panel.getByRole('region', { name: t('buddyOptions') })).toBeVisible();
    },
  },
  {
    name: 'docked-chat',
    desktopOnly: true,
    go: async ({ page, t, panel }) => {
      await panel.getByRole('button', { name: t('buddyOptions') }).click();
      await panel.getByRole('button', { name: t('openSideBySide') }).click();
      await expect(page.getByRole('region', { name: UMA }).getByRole('textbox')).toBeVisible();
    },
  },
  {
    name: 'status-menu',
    subset: true,
    go: async ({ page, t, panel, viewport }) => {
      if (viewport === 'desktop') await page.getByRole('button', { name: t('closeWindow', { name: UMA }) }).click();
      else await panel.getByRole('button', { name: t('back'), exact: true }).click();
      await panel.getByRole('button', { name: t('menu') }).click();
      await expect(panel.getByRole('group', { name: t('profile') })).toBeVisible();
    },
  },
  {
    name: 'launcher-unread',
    go: async ({ page, t, panel }) => {
      await panel.getByRole('button', { name: t('menu') }).click();
      await panel.getByRole('button', { name: t('closeChat') }).click();
      await expect(page.getByRole('button', { name: starts(t('openChatUnread', { n: 2 })) })).toBeVisible();
    },
  },
  {
    // With the panel closed: the core rings, the call chunk shows the banner above the page.
    name: 'incoming-call',
    go: async ({ page, t, subsetOnly }) => {
      // Each call leaves a call log in Tess and Uma's chat: only the configurations that check it call.
      if (subsetOnly) return;
      const [uma, tess] = await Promise.all([
        login(baseUrl(), 'uma', 'uma-pass'),
        login(baseUrl(), 'tess', 'tess-pass'),
      ]);
      caller = await TestClient.connect(baseUrl(), uma.token);
      await caller.request('call:invite', { to: tess.user.id, kind: 'video' });
      const c = callTranslator(t.locale);
      await expect(page.getByRole('alertdialog', { name: c('incomingVideo', { name: UMA }) })).toBeVisible();
    },
  },
  {
    // Answered: the in-call view with the local preview (the test client sends no media: it connects).
    name: 'in-call',
    go: async ({ page, t, subsetOnly }) => {
      if (subsetOnly) return;
      const c = callTranslator(t.locale);
      await page.getByRole('button', { name: c('acceptCall') }).click();
      await expect(page.getByRole('button', { name: c('hangUp') })).toBeFocused();
      await expect(page.locator('video.local')).toBeVisible();
    },
  },
  {
    name: 'offline',
    subset: true,
    go: async ({ page, t, panel }) => {
      if (caller) {
        await page.getByRole('button', { name: callTranslator(t.locale)('hangUp') }).click();
        caller.close();
        caller = null;
        callLogs++;
      }
      await page.getByRole('button', { name: starts(t('openChat')) }).click();
      await page.context().setOffline(true);
      await expect(panel.getByRole('status').filter({ hasText: t('offlineBanner') })).toBeVisible();
    },
  },
];

// Traces snapshot the page at every action: too slow for hundreds of checks. Screenshots stay.
test.use({ trace: 'off' });

for (const config of CONFIGURATIONS) {
  const { viewport, mode, locale, subsetOnly } = config;
  test(`every screen: ${viewport}, ${mode}, ${locale}`, async ({ browser }, testInfo) => {
    // Some 30 s on a quiet machine; much more while other suites share the two cores.
    test.setTimeout(300_000);
    const cells = STATES.filter((s) => (!s.desktopOnly || viewport === 'desktop') && (!subsetOnly || s.subset));
    testInfo.annotations.push({ type: 'cells', description: String(cells.length) });
    callLogs = await callLogsSoFar();
    const page = await openWidget(browser, config);
    const t = translator(locale);
    const ui: Ui = {
      page,
      subsetOnly,
      t,
      viewport,
      panel: page.getByRole('dialog', { name: t('title') }),
    };
    try {
      for (const state of STATES) {
        if (state.desktopOnly && viewport !== 'desktop') continue;
        const cell = `${viewport}-${mode}-${locale}-${state.name}`;
        /** MATRIX_TIMING=1 prints how long each part of each cell takes. */
        const timed = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
          const start = Date.now();
          const result = await run();
          if (process.env.MATRIX_TIMING) console.log(`${cell} ${what} ${Date.now() - start} ms`);
          return result;
        };
        await timed('go', () => state.go(ui));
        if (!cells.includes(state)) continue;
        await test.step(cell, async () => {
          await settle(page);
          await timed('screenshot', () => page.screenshot({ path: testInfo.outputPath(`${cell}.jpeg`), quality: 80 }));
          const problems = [
            ...(await timed('axe', () => axeProblems(page))),
            ...(await timed('layout', () => layoutProblems(page))),
          ];
          // Scrolling controls into view may page in history (a window grows at either end): that
          // lands first, or the list would grow while the keyboard walks through it.
          await timed('loads', () => loadsLanded(page));
          problems.push(...(await timed('focus', () => focusProblems(page))));
          expect.soft(problems, cell).toEqual([]);
        });
      }
    } finally {
      await page.context().close();
    }
  });
}

async function openWidget(browser: Browser, { viewport, mode, locale }: Configuration): Promise<Page> {
  const context = await browser.newContext({ ...VIEWPORTS[viewport], reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.addInitScript(
    (settings) => Object.assign(window, { ParleySettings: settings }),
    mode === 'dark' ? { locale, theme: { mode } } : { locale },
  );
  // The seeded files' bytes (e2e/seed.ts stores their records only); uploads held open.
  await serveSeededFiles(page, MATRIX_FILES.image);
  await holdUploads(page);
  await page.goto(baseUrl());
  return page;
}

/** Waits for fonts and the frames after the last change, so checks and screenshots see the final layout. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

/** Nothing the widget shows as loading (older or newer messages) is still on its way. */
async function loadsLanded(page: Page): Promise<void> {
  await settle(page); // the scroll events have run, and any page they asked for shows as loading
  await expect(page.locator('[data-parley] li.more')).toHaveCount(0);
  await settle(page);
}

/** Call logs among the newest messages of Tess and Uma's chat (the page the widget shows). */
async function callLogsSoFar(): Promise<number> {
  const [tess, uma] = await Promise.all([login(baseUrl(), 'tess', 'tess-pass'), login(baseUrl(), 'uma', 'uma-pass')]);
  const client = await TestClient.connect(baseUrl(), tess.token);
  try {
    const newest = await client.ok('message:history', { in: { kind: 'direct', id: uma.user.id }, limit: 50 });
    return newest.messages.filter((m) => m.content.kind === 'call').length;
  } finally {
    client.close();
  }
}

/**
 * axe-core as @axe-core/playwright uses it. AxeBuilder injects it again at every analysis, which
 * took seconds per cell on a busy machine: here it goes into the page once, and asks for
 * violations only.
 */
const axeSource = (
  createRequire(createRequire(import.meta.url).resolve('@axe-core/playwright'))('axe-core') as { source: string }
).source;

async function axeProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof import('axe-core') }).axe.run(
      { include: [['[data-parley]']] },
      { resultTypes: ['violations'] },
    ),
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `axe ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Controls a keyboard or pointer user must be able to reach. */
const CONTROLS = 'button, a[href], input, textarea, select, [tabindex]:not([tabindex="-1"])';

/**
 * Covered controls and clipped text, measured in the page. Controls scrolled out of their
 * scrolling box are scrolled into view first (as a user would), then hit-tested at their centre.
 */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate((controls) => {
    const root = document.querySelector('[data-parley]')?.shadowRoot;
    if (!root) return ['the widget has no shadow root'];
    const problems: string[] = [];
    const describe = (el: Element | null): string => {
      if (!el) return 'nothing';
      const label =
        el.getAttribute('aria-label') || (el as HTMLInputElement).name || el.textContent?.trim().slice(0, 30) || '';
      const cls =
        typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      return `<${el.tagName.toLowerCase()}${cls}${label ? ` "${label}"` : ''}>`;
    };
    const shown = (el: Element) => el.checkVisibility({ visibilityProperty: true, opacityProperty: false });
    /** Ancestors that clip horizontally (overflow other than visible), nearest first, inside the widget. */
    const clippers = (el: Element): Element[] => {
      const out: Element[] = [];
      for (let a = el.parentElement; a; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== 'visible') out.push(a);
      return out;
    };
    const inner = (el: Element) => {
      const r = el.getBoundingClientRect();
      const left = r.left + el.clientLeft;
      return {
        left,
        right: left + el.clientWidth,
        top: r.top + el.clientTop,
        bottom: r.top + el.clientTop + el.clientHeight,
      };
    };

    // 1. Every visible control is the topmost thing at its centre.
    for (const el of root.querySelectorAll(controls)) {
      // Behind a modal (the image viewer makes the rest of the widget inert): neither seen nor reachable.
      if (!shown(el) || el.closest('[inert]')) continue;
      const centre = () => {
        // A link that wraps has one box per line: aim at its first.
        const r = el.getClientRects()[0] ?? el.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2, r };
      };
      let { x, y, r } = centre();
      if (r.width === 0 || r.height === 0) continue;
      const visibleIn = (box: { left: number; right: number; top: number; bottom: number }) =>
        x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
      const onScreen = () =>
        visibleIn({ left: 0, top: 0, right: innerWidth, bottom: innerHeight }) &&
        clippers(el).every((c) => visibleIn(inner(c)));
      if (!onScreen()) {
        el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        ({ x, y, r } = centre());
        if (!onScreen()) {
          problems.push(`${describe(el)} cannot be brought on screen (centre at ${Math.round(x)},${Math.round(y)})`);
          continue;
        }
      }
      const hit = root.elementFromPoint(x, y);
      if (!hit || !(hit === el || el.contains(hit)))
        problems.push(`${describe(el)} is covered by ${describe(hit)} at ${Math.round(x)},${Math.round(y)}`);
    }

    // 2. No text runs out of its box, or out of a box that clips it, or off the screen, horizontally.
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent?.trim() || !shown(el) || el.closest('select, datalist, option')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter((q) => q.width > 0);
      if (rects.length === 0) continue;
      const left = Math.min(...rects.map((q) => q.left));
      const right = Math.max(...rects.map((q) => q.right));
      const text = `"${node.textContent.trim().slice(0, 40)}"`;
      // The box that lays the text out (the nearest element that is not inline); if it ends its
      // text with an ellipsis, it truncates on purpose.
      let block: Element = el;
      while (getComputedStyle(block).display === 'inline' && block.parentElement) block = block.parentElement;
      const style = getComputedStyle(block);
      // (A flex or grid container draws no ellipsis: its text is cut off bare.)
      const drawsEllipsis = !/flex|grid/.test(style.display);
      if (drawsEllipsis && style.textOverflow === 'ellipsis' && style.overflowX !== 'visible') continue;
      const box = block.getBoundingClientRect();
      if (left < box.left - 1 || right > box.right + 1)
        problems.push(
          `text ${text} runs out of ${describe(block)} (${Math.round(left)}–${Math.round(right)} in ${Math.round(box.left)}–${Math.round(box.right)})`,
        );
      else {
        const clip = clippers(block).find((c) => {
          const b = inner(c);
          return left < b.left - 1 || right > b.right + 1;
        });
        if (clip) problems.push(`text ${text} is clipped by ${describe(clip)}`);
        else if (left < -1 || right > innerWidth + 1) problems.push(`text ${text} runs off the screen`);
      }
    }
    return problems;
  }, CONTROLS);
}

/**
 * Presses Tab from the top of the page until focus has been on every control of the widget (radio
 * buttons count once per group: arrow keys move within it), and names the ones never reached.
 */
async function focusProblems(page: Page): Promise<string[]> {
  const total = await page.evaluate((controls) => {
    const root = document.querySelector('[data-parley]')!.shadowRoot!;
    const seenGroups = new Set<string>();
    const targets = [...root.querySelectorAll<HTMLElement>(controls)].filter((el) => {
      if (!el.checkVisibility({ visibilityProperty: true }) || (el as HTMLButtonElement).disabled) return false;
      if (el.closest('[inert]')) return false; // behind a modal
      if (el.getBoundingClientRect().width === 0) return false;
      if (el instanceof HTMLInputElement && el.type === 'radio') {
        if (seenGroups.has(el.name)) return false;
        seenGroups.add(el.name);
      }
      return true;
    });
    const reached = new Set<HTMLElement>();
    // Start just before the widget: at the last control of the host page (or the top of the page).
    const before = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea')].at(-1);
    const w = window as unknown as { __matrixFocus: { targets: HTMLElement[]; reached: Set<HTMLElement> } };
    w.__matrixFocus = { targets, reached };
    const note = () => {
      const active = root.activeElement as HTMLElement | null;
      if (!active) return;
      const target =
        active instanceof HTMLInputElement && active.type === 'radio'
          ? targets.find((t) => t instanceof HTMLInputElement && t.type === 'radio' && t.name === active.name)
          : active;
      if (target) reached.add(target);
    };
    (window as unknown as { __matrixStop?: () => void }).__matrixStop?.();
    root.addEventListener('focusin', note);
    Object.assign(window, { __matrixStop: () => root.removeEventListener('focusin', note) });
    (document.activeElement as HTMLElement | null)?.blur();
    if (before) before.focus();
    return targets.length;
  }, CONTROLS);
  const missing = () =>
    page.evaluate(() => {
      const { targets, reached } = (
        window as unknown as { __matrixFocus: { targets: HTMLElement[]; reached: Set<HTMLElement> } }
      ).__matrixFocus;
      return targets.filter((t) => !reached.has(t)).length;
    });
  for (let pressed = 0; pressed < total + 10; pressed += 10) {
    for (let i = 0; i < 10; i++) await page.keyboard.press('Tab');
    if ((await missing()) === 0) break;
  }
  return page.evaluate(() => {
    const { targets, reached } = (
      window as unknown as { __matrixFocus: { targets: HTMLElement[]; reached: Set<HTMLElement> } }
    ).__matrixFocus;
    return targets
      .filter((t) => !reached.has(t))
      .map((t) => {
        const name =
          t.getAttribute('aria-label') ||
          t.getAttribute('name') ||
          t.closest('label')?.textContent?.trim() ||
          t.textContent?.trim() ||
          '';
        return `Tab never reaches <${t.tagName.toLowerCase()}> "${name.slice(0, 40)}"`;
      });
  });
}
