/*
 * Journey 1: the portal's home page, then a clerk signs in through the form
 * and reaches the dashboard; a wrong password is answered beside the field.
 */
import assert from 'node:assert/strict';
import test, {after, before} from 'node:test';

import {
    errorBeside, expectPage, fixture, journey, login, LOGIN_LABEL, PASSWORD_LABEL, submitLogin, USERS,
} from './harness.mjs';

const fx = fixture();
before(() => fx.setUp());
after(() => fx.tearDown());

journey(test, fx, 'the portal home renders in Chinese for 城西街道办事处', async () => {
    const page = await fx.newPage();
    const r = await page.goto('/');
    assert.equal(r.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.match(r.headers()['content-type'] ?? '', /^text\/html/);
    await page.getByRole('heading', {level: 1, name: '城西街道办事处'}).waitFor();
    assert.match(await page.title(), /城西街道办事处/);
    /* the way to the staff sign-in */
    await page.getByRole('link', {name: '工作人员登录'}).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel(LOGIN_LABEL, {exact: true}).waitFor();
});

journey(test, fx, 'a clerk signs in through the form and reaches the dashboard', async () => {
    const page = await fx.newPage();
    /* a console page asks for the sign-in first and comes back after it */
    const first = await page.goto('/console');
    assert.equal(new URL(page.url()).pathname, '/login',
                 `GET /console without a session ended at ${page.url()} (${first.status()}), ` +
                 'want the sign-in page');

    await login(page, USERS.clerka);
    const html = page.locator('html');
    assert.equal(await html.getAttribute('lang'), 'zh-CN');
    await page.locator('[data-live-feed]').waitFor({state: 'attached'});
    await page.getByRole('button', {name: '退出登录'}).waitFor();
    /* the session holds: a reload stays on the dashboard */
    const again = await page.reload();
    assert.equal(again.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/console');

    /* and signing out ends it */
    await page.getByRole('button', {name: '退出登录'}).click();
    await page.waitForURL((u) => u.pathname !== '/console');
    await page.goto('/console');
    assert.equal(new URL(page.url()).pathname, '/login', 'after signing out /console is still open');
});

journey(test, fx, 'a wrong password shows an error beside the password field', async () => {
    const page = await fx.newPage();
    const r = await submitLogin(page, USERS.clerka, 'Wrong-pass-2024');
    assert.ok(r.status() >= 400 && r.status() < 500,
              `POST /login with a wrong password answered ${r.status()}, want a 4xx page`);
    assert.equal(new URL(page.url()).pathname, '/login');
    const msg = await errorBeside(page.getByLabel(PASSWORD_LABEL, {exact: true}));
    assert.match(msg, /密码/);
    /* what was typed stays, the password does not */
    assert.equal(await page.getByLabel(LOGIN_LABEL, {exact: true}).inputValue(), USERS.clerka.login);
    assert.equal(await page.getByLabel(PASSWORD_LABEL, {exact: true}).inputValue(), '');
    /* and no session came of it */
    await page.goto('/console');
    assert.equal(new URL(page.url()).pathname, '/login');
});
