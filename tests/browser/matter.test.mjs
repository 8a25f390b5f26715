/*
 * Journey 8: a resident matter from both sides. A resident on a phone-sized
 * page (360x740) submits a matter with a photo (a small PNG made here) and
 * lands on its tracking page, which stays open. Staff, signed in in a
 * second browser context, watch the queue (the new matter appears without
 * a reload), then accept, assign, start and resolve it from the matter's
 * page. The resident's page shows each new state and finally the reply
 * without reloading (no navigation happens), then the resident rates it.
 * Screenshots: build/screenshots/matter-submit-360.png, matter-track-360.png,
 * matter-queue-1280.png, matter-show-1280.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test, {after, before} from 'node:test';
import zlib from 'node:zlib';

import {expectPage, fixture, journey, login, SCREENSHOT_DIR, USERS, WAIT} from './harness.mjs';

const fx = fixture();
before(() => fx.setUp(() => fs.mkdirSync(SCREENSHOT_DIR, {recursive: true})));
after(() => fx.tearDown());

/* A w x h PNG of one colour. */
function png(w, h, [r, g, b]) {
    const table = Array.from({length: 256}, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
    });
    const crc = (buf) => {
        let c = 0xffffffff;
        for (const byte of buf)
            c = table[(c ^ byte) & 0xff] ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
    };
    const chunk = (type, data) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(data.length);
        const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
        const sum = Buffer.alloc(4);
        sum.writeUInt32BE(crc(body));
        return Buffer.concat([len, body, sum]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(w).fill([r, g, b]).flat())]);
    const raw = Buffer.concat(Array(h).fill(row));
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
    ]);
}

/* Counts the main frame's navigations from now on. */
function watchNavigations(page) {
    page.navigations = 0;
    page.on('framenavigated', (f) => {
        if (f === page.mainFrame())
            page.navigations++;
    });
}

async function noSidewaysScroll(page, width) {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= width, `${page.url()} is ${w} px wide in a ${width} px window`);
}

/* The step the tracking page marks current. */
const currentStep = (page) => page.locator('.steps [aria-current=step]');

journey(test, fx, 'a resident follows a matter live while staff handle it', async () => {
    const description = `小区东门路灯损坏，夜间漆黑${process.pid}`;
    const reply = '已更换东门两盏路灯，感谢您的反映。';

    /* staff watch the queue first */
    const staff = await fx.newPage();
    await login(staff, USERS.admin);
    const stream = staff.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/events');
    await expectPage(staff, '/console/matters');
    assert.equal((await stream).status(), 200);
    watchNavigations(staff);

    /* the resident, on a phone */
    const phone = await fx.newPage({viewport: {width: 360, height: 740}, deviceScaleFactor: 1,
                                    isMobile: true, hasTouch: true});
    await expectPage(phone, '/submit');
    await phone.evaluate(() => document.fonts.ready);
    const type = phone.getByLabel('事项类型', {exact: true});
    await type.selectOption({label: '问题反映'});
    /* with JavaScript only the chosen type's fields show */
    await phone.locator('[data-type-fields="complaint"]').waitFor({state: 'visible'});
    assert.equal(await phone.locator('[data-type-fields="safety"]').isVisible(), false,
                 'another type\'s fields are shown');
    await phone.getByLabel('问题类别').selectOption({label: '公共设施损坏'});
    await phone.getByLabel('事项描述').fill(description);
    await phone.getByLabel('地点', {exact: true}).fill('城西路 8 号小区东门');
    await phone.getByLabel('联系电话').fill('13900001111');
    await phone.getByLabel('从相册选择').setInputFiles(
        {name: '路灯.png', mimeType: 'image/png', buffer: png(32, 24, [40, 90, 160])});
    assert.ok(await phone.getByRole('button', {name: '使用我的位置'}).isVisible(),
              'the location button is hidden with JavaScript on');
    await phone.screenshot({path: path.join(SCREENSHOT_DIR, 'matter-submit-360.png'),
                            fullPage: true});
    await noSidewaysScroll(phone, 360);

    const posted = phone.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/submit');
    const events = phone.waitForResponse(
        (r) => /^\/api\/v1\/track\/CX-[0-9A-Z-]+\/events$/.test(new URL(r.url()).pathname),
        {timeout: WAIT * 2});
    await phone.getByRole('button', {name: '提交', exact: true}).click();
    assert.equal((await posted).status(), 303, 'the submission was not answered 303');
    await phone.waitForURL((u) => /^\/track\/CX-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(u.pathname));
    assert.equal((await events).status(), 200, 'the tracking page\'s event stream');
    const code = new URL(phone.url()).pathname.slice('/track/'.length);
    assert.equal(await phone.locator('.code-big').innerText(), code);
    await phone.getByText('请保存查询码').waitFor();
    assert.equal(await currentStep(phone).innerText(), '已提交');
    await phone.locator('img.qr').evaluate((img) => img.decode());
    assert.ok(await phone.locator('img.qr').evaluate((img) => img.naturalWidth > 0),
              'the QR code did not load');
    assert.ok(await phone.locator('.photos-list img').evaluate((img) => img.decode().then(
        () => img.naturalWidth === 32)), 'the photo is not shown');
    await phone.getByText('139****1111').waitFor();
    await phone.evaluate(() => document.fonts.ready);
    await phone.screenshot({path: path.join(SCREENSHOT_DIR, 'matter-track-360.png'),
                            fullPage: true});
    await noSidewaysScroll(phone, 360);
    await phone.evaluate(() => {
        window.__fazhiNoReload = true;
    });
    watchNavigations(phone);

    /* the new matter appears in the staff's queue without a reload */
    const row = staff.locator('#matter-queue').getByRole('link', {name: description.slice(0, 20)});
    await row.waitFor({timeout: WAIT});
    assert.equal(staff.navigations, 0, 'the queue was reloaded');
    await staff.evaluate(() => document.fonts.ready);
    await staff.screenshot({path: path.join(SCREENSHOT_DIR, 'matter-queue-1280.png'),
                            fullPage: true});

    /* staff handle it; after each step the resident's page follows */
    await row.click();
    await staff.waitForURL((u) => /^\/console\/matters\/\d+$/.test(u.pathname));
    const steps = [
        ['受理', null, '已受理'],
        ['分派', async () => {
            const unit = staff.getByLabel('分派给');
            await unit.selectOption(
                await unit.locator('option', {hasText: '甲社区'}).getAttribute('value'));
        }, '已分派'],
        ['开始办理', null, '办理中'],
        ['办结并答复', async () => staff.getByLabel('答复群众').fill(reply), '已办结'],
    ];
    for (const [button, prepare, state] of steps) {
        if (prepare)
            await prepare();
        const done = staff.waitForResponse((r) => r.request().method() === 'POST');
        await staff.getByRole('button', {name: button, exact: true}).click();
        assert.equal((await done).status(), 303, `${button} was not answered 303`);
        await staff.locator('.flash-success').waitFor();
        await phone.locator('.steps [aria-current=step]', {hasText: state}).waitFor({timeout: WAIT});
        assert.equal(await phone.locator('[data-track-state]').innerText(), state);
    }
    await staff.screenshot({path: path.join(SCREENSHOT_DIR, 'matter-show-1280.png'),
                            fullPage: true});
    await phone.getByText(reply).first().waitFor({timeout: WAIT});
    await phone.locator('[data-track-notice]').waitFor({state: 'visible'});
    assert.equal(phone.navigations, 0, 'the tracking page was reloaded');
    assert.equal(await phone.evaluate(() => window.__fazhiNoReload), true,
                 'the tracking page was reloaded');
    assert.equal(new URL(phone.url()).pathname, `/track/${code}`);

    /* the resident rates it */
    await phone.getByLabel('5 星（非常满意）').check();
    await phone.getByLabel('意见').fill('修得很快');
    const rated = phone.waitForResponse((r) => r.request().method() === 'POST');
    await phone.getByRole('button', {name: '提交评价'}).click();
    assert.equal((await rated).status(), 303);
    await phone.locator('.steps [aria-current=step]', {hasText: '已评价'}).waitFor();
    await phone.getByText('5 星（非常满意）：修得很快').waitFor();
});
