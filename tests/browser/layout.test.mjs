/*
 * Journey 7: the console's pages at a phone's width (360 px) and a desktop's
 * (1280 px). Screenshots of the dashboard, a list and a form go to
 * build/screenshots/<page>-<width>.png; at 360 px the page must not scroll
 * sideways (a wide table scrolls inside its own box).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test, {after, before} from 'node:test';

import {
    expectPage, fixture, journey, LECTURE, ledgerListPath, ledgerNewPath, login, recordLecture,
    SCREENSHOT_DIR, uniqueTitle, USERS,
} from './harness.mjs';

const fx = fixture();
before(() => fx.setUp(async () => {
    fs.mkdirSync(SCREENSHOT_DIR, {recursive: true});
    /* something in the list and on the feed */
    const page = await fx.newPage();
    await login(page, USERS.clerka);
    await recordLecture(page, {title: uniqueTitle('“八五”普法中期宣讲'), unit: '甲社区',
                               attendance: 120, hours: '2.5'});
}));
after(() => fx.tearDown());

const PAGES = [
    ['login', '/login', false],
    ['dashboard', '/console', true],
    ['ledger-list', ledgerListPath(LECTURE.code), true],
    ['ledger-form', ledgerNewPath(LECTURE.code), true],
];

for (const width of [360, 1280]) {
    journey(test, fx, `layout at ${width} px: login, dashboard, list and form`, async (t) => {
        const page = await fx.newPage({viewport: {width, height: 800}, deviceScaleFactor: 1});
        t.diagnostic(`screenshots in ${SCREENSHOT_DIR}`);
        const overflow = [];
        for (const [name, url, signedIn] of PAGES) {
            if (signedIn && new URL(page.url()).pathname === '/login')
                await login(page, USERS.clerka);
            await expectPage(page, url);
            await page.evaluate(() => document.fonts.ready);
            const file = path.join(SCREENSHOT_DIR, `${name}-${width}.png`);
            await page.screenshot({path: file, fullPage: true});
            const w = await page.evaluate(() => ({
                doc: document.documentElement.scrollWidth,
                body: document.body.scrollWidth,
            }));
            if (w.doc > width || w.body > width)
                overflow.push(`${url}: scrollWidth ${w.doc} (body ${w.body}) > ${width}`);
        }
        assert.deepEqual(overflow, [], `pages wider than the ${width} px window`);
    });
}
