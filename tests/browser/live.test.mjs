/*
 * Journey 5: two clerks of the same community, each in a browser context of
 * their own. The second watches the dashboard; when the first records a
 * lecture, it appears on the second's live feed ([data-live-feed], filled
 * from /api/v1/events) without a reload. A clerk of another community
 * watching at the same time does not get it.
 */
import assert from 'node:assert/strict';
import test, {after, before} from 'node:test';

import {fixture, journey, login, recordLecture, uniqueTitle, USERS, WAIT} from './harness.mjs';

const fx = fixture();
before(() => fx.setUp());
after(() => fx.tearDown());

/* Signs in and opens the dashboard; resolves once its event stream is open. */
async function watchDashboard(user) {
    const page = await fx.newPage();
    const stream = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/api/v1/events', {timeout: WAIT});
    await login(page, user);
    const r = await stream;
    assert.equal(r.status(), 200, `the dashboard's GET /api/v1/events answered ${r.status()}`);
    assert.match(r.headers()['content-type'] ?? '', /^text\/event-stream/);
    await page.locator('[data-live-feed]').waitFor({state: 'attached'});
    /* a reload would lose this mark */
    await page.evaluate(() => {
        window.__fazhiNoReload = true;
    });
    page.navigations = 0;
    page.on('framenavigated', (f) => {
        if (f === page.mainFrame())
            page.navigations++;
    });
    return page;
}

journey(test, fx, 'a new entry appears on a colleague\'s live feed without a reload', async () => {
    const watcher = await watchDashboard(USERS.clerka2);
    const other = await watchDashboard(USERS.clerkb);
    const writer = await fx.newPage();
    await login(writer, USERS.clerka);

    const title = uniqueTitle('普法宣传周讲座');
    await recordLecture(writer, {title, unit: '甲社区', attendance: 20});

    const feed = watcher.locator('[data-live-feed]');
    await feed.getByText(title).first().waitFor({timeout: WAIT});
    assert.equal(watcher.navigations, 0, 'the dashboard was reloaded');
    assert.equal(await watcher.evaluate(() => window.__fazhiNoReload), true,
                 'the dashboard was reloaded');
    assert.equal(new URL(watcher.url()).pathname, '/console');

    /* the other community's clerk saw the stream open but not this entry */
    assert.equal(other.navigations, 0);
    assert.ok(!(await other.locator('[data-live-feed]').innerText()).includes(title),
              'the live feed of a clerk of 乙社区 shows an entry of 甲社区');
});
