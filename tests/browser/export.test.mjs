/*
 * Journey 4: the list's XLSX link downloads a workbook that opens: a zip
 * with xl/workbook.xml, a sheet for the lectures holding the recorded
 * title. The CSV link gives the same entry.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, {after, before} from 'node:test';

import {
    fixture, journey, LECTURE, login, recordLecture, uniqueTitle, unzipList, unzipRead, USERS,
} from './harness.mjs';

const fx = fixture();
let page, title, tmp;
before(() => fx.setUp(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fazhi-downloads-'));
    page = await fx.newPage();
    await login(page, USERS.clerka);
    title = uniqueTitle('扫黑除恶专题讲座');
    await recordLecture(page, {title, unit: '甲社区', attendance: 88, hours: '2'});
}));
after(async () => {
    fs.rmSync(tmp, {recursive: true, force: true});
    await fx.tearDown();
});

/* Clicks the link and saves what it downloads; returns [file, download]. */
async function download(link, name) {
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = path.join(tmp, name);
    await dl.saveAs(file);
    const failure = await dl.failure();
    assert.equal(failure, null, `the download failed: ${failure}`);
    return [file, dl];
}

journey(test, fx, 'the XLSX download of the list opens and holds the recorded title', async () => {
    await page.getByRole('row').filter({hasText: title}).waitFor();
    const link = page.getByRole('link', {name: /XLSX/i});
    const href = await link.getAttribute('href');
    assert.match(href, /\/api\/v1\/ledger\/export\?(.*&)?format=xlsx/);
    assert.match(href, /kind=study\.lecture/, `the XLSX link ${href} does not keep the list's kind`);

    const [file, dl] = await download(link, 'ledger.xlsx');
    assert.match(dl.suggestedFilename(), /\.xlsx$/);
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.length > 100, `the download has only ${bytes.length} bytes`);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'the download is no zip');

    const members = unzipList(file);
    assert.ok(members.includes('xl/workbook.xml'), `no xl/workbook.xml in ${members}`);
    assert.ok(members.includes('[Content_Types].xml'));
    const workbook = unzipRead(file, 'xl/workbook.xml');
    assert.match(workbook, /<sheet [^>]*name="[^"]*法治讲座/, 'no sheet named for 法治讲座');

    /* the title is in a sheet: as a shared string or inline */
    const sheets = members.filter((m) => /^xl\/worksheets\/sheet\d+\.xml$/.test(m));
    assert.ok(sheets.length > 0, 'the workbook has no worksheet');
    const text = [members.includes('xl/sharedStrings.xml') ? unzipRead(file, 'xl/sharedStrings.xml') : '',
                  ...sheets.map((s) => unzipRead(file, s))].join('\n');
    assert.ok(text.includes(title), 'the workbook does not hold the recorded title');
    assert.ok(text.includes('88'), 'the workbook does not hold the attendance 88');
});

journey(test, fx, 'the CSV download of the list holds the recorded title', async () => {
    const r = await page.goto(`/console/ledger/${LECTURE.code}`);
    assert.equal(r.status(), 200);
    const link = page.getByRole('link', {name: /CSV/i});
    assert.match(await link.getAttribute('href'), /\/api\/v1\/ledger\/export\?(.*&)?format=csv/);
    const [file] = await download(link, 'ledger.csv');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes(title), 'the CSV does not hold the recorded title');
});
