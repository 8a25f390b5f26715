/*
 * Journey 2: a clerk records two law lectures (法治讲座) through the form;
 * both show in the list, the totals row adds their attendance (受训人次) and
 * hours, and an entry's page shows what was recorded.
 */
import assert from 'node:assert/strict';
import test, {after, before} from 'node:test';

import {
    fixture, journey, LECTURE, ledgerListPath, login, recordLecture, tableCell, uniqueTitle, USERS,
} from './harness.mjs';

const fx = fixture();
before(() => fx.setUp());
after(() => fx.tearDown());

journey(test, fx, 'a lecture recorded through the form shows in the list and its totals', async () => {
    const page = await fx.newPage();
    await login(page, USERS.clerka);
    const first = uniqueTitle('宪法宣传讲座');
    const second = uniqueTitle('民法典进社区');

    await recordLecture(page, {title: first, unit: '甲社区', attendance: 45, hours: '1.5'});
    /* the list says it was saved, and shows the entry */
    await page.getByRole('row').filter({hasText: first}).waitFor();
    assert.equal(await tableCell(page, first, LECTURE.attendance), '45');

    await recordLecture(page, {title: second, unit: '甲社区', attendance: 30, hours: '1'});
    await page.getByRole('row').filter({hasText: second}).waitFor();
    await page.getByRole('row').filter({hasText: first}).waitFor();
    assert.equal(await tableCell(page, second, LECTURE.attendance), '30');

    /* the totals row: 45 + 30 and 1.5 + 1 */
    const totals = page.getByRole('row').filter({hasText: '合计'});
    await totals.first().waitFor();
    const attendance = await tableCell(page, '合计', LECTURE.attendance);
    assert.ok(attendance !== null, `the totals row has no cell under "${LECTURE.attendance}"`);
    assert.match(attendance, /^75(\s*人次)?$/, `totals row attendance "${attendance}", want 75`);
    const hours = await tableCell(page, '合计', LECTURE.hours);
    assert.ok(hours !== null, `the totals row has no cell under "${LECTURE.hours}"`);
    assert.match(hours, /^2\.5(\s*小时)?$/, `totals row hours "${hours}", want 2.5`);

    /* the entry's own page */
    await page.getByRole('link', {name: first}).click();
    await page.waitForURL((u) => /^\/console\/ledger\/entries\/\d+$/.test(u.pathname));
    const main = page.locator('main');
    await main.getByText(first).first().waitFor();
    const text = await main.innerText();
    assert.match(text, new RegExp(LECTURE.attendance));
    assert.match(text, /45/);
    assert.match(text, /甲社区/);
});

journey(test, fx, 'the list of another kind does not show the lectures', async () => {
    const page = await fx.newPage();
    await login(page, USERS.clerka);
    const r = await page.goto(ledgerListPath('publicity.campaign'));
    assert.equal(r.status(), 200);
    assert.doesNotMatch(await page.locator('main').innerText(), /宪法宣传讲座|民法典进社区/);
});
