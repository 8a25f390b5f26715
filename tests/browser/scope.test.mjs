/*
 * Journey 6: a community clerk cannot reach another community's pages. A
 * clerk of 乙社区 records a lecture; a clerk of 甲社区 gets a 404 or 403
 * page for the entry, without its data, does not see it in the list (nor
 * when the list is filtered to 乙社区), and is not offered 乙社区 in the form.
 */
import assert from 'node:assert/strict';
import test, {after, before} from 'node:test';

import {
    apiEntries, expectPage, fixture, FORM, journey, LECTURE, ledgerListPath, ledgerNewPath, login,
    recordLecture, uniqueTitle, USERS,
} from './harness.mjs';

const fx = fixture();
let clerkA, title, entryId;
before(() => fx.setUp(async () => {
    const clerkB = await fx.newPage();
    await login(clerkB, USERS.clerkb);
    title = uniqueTitle('乙社区禁毒讲座');
    await recordLecture(clerkB, {title, unit: '乙社区', attendance: 66});
    const mine = (await apiEntries(clerkB, LECTURE.code)).filter((e) => e.title === title);
    assert.equal(mine.length, 1);
    entryId = mine[0].id;
    /* its owner can open it */
    await expectPage(clerkB, `/console/ledger/entries/${entryId}`);
    await clerkB.locator('main').getByText(title).first().waitFor();
    assert.ok(/>66\s/.test(await clerkB.content()), 'the owner\'s page shows the attendance');

    clerkA = await fx.newPage();
    await login(clerkA, USERS.clerka);
}));
after(() => fx.tearDown());

journey(test, fx, 'another community\'s entry page is a 404 or 403 page without its data', async () => {
    const r = await clerkA.goto(`/console/ledger/entries/${entryId}`);
    assert.ok([403, 404].includes(r.status()),
              `GET /console/ledger/entries/${entryId} as a clerk of 甲社区 answered ${r.status()}`);
    const body = await r.text();
    assert.ok(!body.includes(title), 'the refusal page holds the entry\'s title');
    /* as the entry page shows a counter ("<dd>66 人</dd>"); a bare "66" could
       be part of the page's random CSRF token */
    assert.ok(!/>66\s/.test(body), 'the refusal page holds the entry\'s attendance');
    assert.equal(await clerkA.locator('html').getAttribute('lang'), 'zh-CN');
    /* a page for a person, not a bare status */
    assert.ok((await clerkA.locator('main').innerText()).trim().length > 0);
});

journey(test, fx, 'the list does not show another community\'s entries, even filtered to it', async () => {
    await expectPage(clerkA, ledgerListPath(LECTURE.code));
    assert.ok(!(await clerkA.locator('main').innerText()).includes(title));

    const cb = fx.server.unitIds.cb;
    const r = await clerkA.goto(`${ledgerListPath(LECTURE.code)}?unit=${cb}`);
    if (r.status() === 200)
        assert.ok(!(await clerkA.locator('main').innerText()).includes(title),
                  'the list filtered to 乙社区 shows its entry to a clerk of 甲社区');
    else
        assert.ok([403, 404].includes(r.status()), `the filtered list answered ${r.status()}`);
    assert.ok(!(await r.text()).includes(title));
});

journey(test, fx, 'the form offers a clerk only the units of their scope', async () => {
    await expectPage(clerkA, ledgerNewPath(LECTURE.code));
    const unit = clerkA.getByLabel(FORM.unit, {exact: true});
    const options = await unit.locator('option').allInnerTexts();
    assert.ok(options.some((o) => o.includes('甲社区')), `the unit choices ${options} lack 甲社区`);
    assert.ok(!options.some((o) => o.includes('乙社区')),
              `the unit choices of a clerk of 甲社区 include 乙社区: ${options}`);
});
