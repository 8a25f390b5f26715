/*
 * Journey 3: a bad value is answered beside its field, what was typed stays
 * in the form, and nothing is saved. The browser's own checks (min,
 * required) are turned off for the form first: they are a convenience, and
 * this is about what the server says.
 */
import assert from 'node:assert/strict';
import test, {after, before} from 'node:test';

import {
    apiEntries, errorBeside, fillLecture, fixture, FORM, journey, LECTURE, ledgerListPath, login,
    skipBrowserChecks, submitForm, today, uniqueTitle, USERS,
} from './harness.mjs';

const fx = fixture();
let page;
before(() => fx.setUp(async () => {
    page = await fx.newPage();
    await login(page, USERS.clerka);
}));
after(() => fx.tearDown());

/* No lecture at all in the database, and none in the list ('title' given). */
async function nothingSaved(title) {
    assert.deepEqual((await apiEntries(page, LECTURE.code)).map((e) => e.title), [],
                     'an entry was saved although the form was refused');
    const r = await page.goto(ledgerListPath(LECTURE.code));
    assert.equal(r.status(), 200);
    if (title)
        assert.ok(!(await page.locator('main').innerText()).includes(title),
                  'the list shows the refused entry');
}

journey(test, fx, 'negative attendance is shown beside its field and nothing is saved', async () => {
    const title = uniqueTitle('负数人次');
    await fillLecture(page, {title, date: today(), unit: '甲社区', attendance: -5, hours: '1'});
    const field = page.getByLabel(LECTURE.attendance);
    await skipBrowserChecks(field);
    const r = await submitForm(page);
    assert.equal(r.status(), 422, `a negative attendance answered ${r.status()}, want 422`);
    assert.equal(new URL(page.url()).pathname, new URL(r.url()).pathname);

    /* the field also names its hint ("超过 300 人次 时会提示核实"): look for the fault */
    const msg = await errorBeside(page.getByLabel(LECTURE.attendance));
    assert.match(msg, /负|小于\s*0|低于\s*0/, `no word of the negative value beside the field: "${msg}"`);
    /* the other fields keep what was typed, and carry no error */
    assert.equal(await page.getByLabel(FORM.title, {exact: true}).inputValue(), title);
    assert.equal(await page.getByLabel(LECTURE.attendance).inputValue(), '-5');
    assert.notEqual(await page.getByLabel(FORM.title, {exact: true}).getAttribute('aria-invalid'),
                    'true');
    await nothingSaved(title);
});

journey(test, fx, 'a missing title is shown beside its field and nothing is saved', async () => {
    await fillLecture(page, {title: '', date: today(), unit: '甲社区', attendance: 12});
    await skipBrowserChecks(page.getByLabel(FORM.title, {exact: true}));
    const r = await submitForm(page);
    assert.equal(r.status(), 422, `a missing title answered ${r.status()}, want 422`);

    const msg = await errorBeside(page.getByLabel(FORM.title, {exact: true}));
    assert.ok(msg.length > 0);
    assert.equal(await page.getByLabel(LECTURE.attendance).inputValue(), '12');
    await nothingSaved(null);
});
