/*
 * harness.mjs - what the browser tests share: the real `fazhi serve`, Debian's
 * Chromium driven by playwright-core, and the steps every journey takes
 * (sign in, record a lecture, find the error beside a field).
 *
 * Each test file starts one server and one browser in its before() hook and
 * stops both in its after() hook, like the API tests (tests/api/harness.c):
 * a temporary directory under /tmp, a database prepared with the CLI
 * (subdistrict "root" 城西街道 with two communities, "ca" 甲社区 and "cb"
 * 乙社区; an admin at root, two staff users in ca and one in cb), then
 * `fazhi serve --listen 127.0.0.1:0`, whose port comes from the "(port N)"
 * line of its log, and a wait for /healthz. The binary comes from FAZHI_BIN
 * (set by make check to the sanitizer build), else build/asan/fazhi.
 *
 * The server must exit with status 0 on SIGTERM (a sanitizer report makes it
 * exit 1): stopping it is checked, not just done. Its directory is removed
 * when everything passed, kept and printed otherwise (FAZHI_TEST_KEEP=1
 * keeps it always).
 *
 * Chromium is never skipped: when /usr/bin/chromium is missing, before()
 * throws and every test of the file fails. playwright's chromium.launch()
 * gives each browser a fresh, empty --user-data-dir of its own (it refuses
 * one in args), and each browser.newContext() is a separate cookie jar.
 */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FAZHI_BIN = process.env.FAZHI_BIN || path.join(ROOT, 'build/asan/fazhi');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(ROOT, 'build/screenshots');

/* Under ASan one argon2id check takes a good part of a second and a page
 * render is slow: wait generously, fail clearly. */
export const TEST_TIMEOUT = 90_000;
export const WAIT = 20_000;

/* The accounts the server starts with (harness.c uses the same). */
export const USERS = {
    admin: {login: 'admin', password: 'Admin-pass-2024', unit: 'root', role: 'admin'},
    clerka: {login: 'clerka', password: 'Clerk-pass-2024', unit: 'ca', role: 'staff'},
    clerka2: {login: 'clerka2', password: 'Clerk-pass-2024', unit: 'ca', role: 'staff'},
    clerkb: {login: 'clerkb', password: 'Clerk-pass-2024', unit: 'cb', role: 'staff'},
};

export const UNITS = [
    {code: 'root', name: '城西街道', type: 'subdistrict'},
    {code: 'ca', name: '甲社区', type: 'community', parent: 'root'},
    {code: 'cb', name: '乙社区', type: 'community', parent: 'root'},
];

/* The lecture kind of conf/ledger-kinds.json (behind study.lecture.*). */
export const LECTURE = {
    code: 'study.lecture',
    name: '法治讲座',
    attendance: '受训人次', /* integer, required, max 300; labelled "受训人次（人次）" */
    hours: '讲座时长', /* decimal, scale 1, max 8 */
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* The environment without FAZHI_* (as harness.c's child_env), plus 'extra'. */
function childEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env))
        if (!k.startsWith('FAZHI_'))
            env[k] = v;
    return {...env, ...extra};
}

/* ================================================================
 * The server
 * ================================================================ */

export class Server {
    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fazhi-browser-'));
        this.db = path.join(this.dir, 'browser.db');
        this.log = path.join(this.dir, 'server.log');
        this.proc = null;
        this.exit = null; /* {code, signal} once it exited */
        this.base = '';
        this.unitIds = {};
        this.failed = false;
    }

    /* Runs `fazhi ARGS` in the directory; returns {status, stdout, stderr}. */
    cli(args, input) {
        const r = spawnSync(FAZHI_BIN, args, {
            cwd: this.dir,
            input: input ?? '',
            env: childEnv(),
            encoding: 'utf8',
            timeout: 60_000,
        });
        if (r.error)
            throw new Error(`cannot run ${FAZHI_BIN} ${args.join(' ')}: ${r.error.message}` +
                            ' (set FAZHI_BIN, or run make asan)');
        return {status: r.status, stdout: r.stdout, stderr: r.stderr};
    }

    /* A set-up step that must succeed. */
    cliMust(args, input) {
        const r = this.cli(args, input);
        if (r.status !== 0)
            throw new Error(`setup step failed (exit ${r.status}): fazhi ${args.join(' ')}\n` +
                            `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
        return r;
    }

    prepare() {
        for (const u of UNITS) {
            const args = ['unit', 'add', '--db', this.db, '--code', u.code, '--name', u.name,
                          '--type', u.type];
            if (u.parent)
                args.push('--parent', u.parent);
            this.cliMust(args);
        }
        for (const u of Object.values(USERS))
            this.cliMust(['user', 'add', u.login, '--db', this.db, '--unit', u.unit, '--role',
                          u.role, '--password-stdin'],
                         u.password + '\n');
        /* "ID\tCODE\t..." lines */
        for (const line of this.cliMust(['unit', 'list', '--db', this.db]).stdout.split('\n')) {
            const m = /^(\d+)\t([^\t]+)\t/.exec(line);
            if (m)
                this.unitIds[m[2]] = Number(m[1]);
        }
        for (const u of UNITS)
            assert.ok(this.unitIds[u.code], `\`fazhi unit list\` does not show unit ${u.code}`);
    }

    logText() {
        try {
            return fs.readFileSync(this.log, 'utf8');
        } catch {
            return '';
        }
    }

    logTail(lines = 40) {
        const all = this.logText().split('\n');
        return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
    }

    async start() {
        if (!fs.existsSync(FAZHI_BIN))
            throw new Error(`no fazhi binary at ${FAZHI_BIN} (set FAZHI_BIN, or run make asan)`);
        this.prepare();
        const fd = fs.openSync(this.log, 'a');
        this.proc = spawn(FAZHI_BIN,
                          ['serve', '--db', this.db, '--listen', '127.0.0.1:0', '--threads', '2'],
                          {cwd: this.dir, stdio: ['ignore', fd, fd],
                           env: childEnv({FAZHI_LOG_LEVEL: 'info'})});
        fs.closeSync(fd);
        this.exited = new Promise((resolve) => {
            this.proc.on('exit', (code, signal) => {
                this.exit = {code, signal};
                resolve(this.exit);
            });
        });
        this.proc.on('error', (e) => {
            this.exit = {code: -1, signal: null, error: e};
        });

        let port = 0;
        for (const deadline = Date.now() + 15_000; !port; await sleep(20)) {
            this.checkAlive('before listening');
            const m = /\(port (\d+)\)/.exec(this.logText());
            if (m)
                port = Number(m[1]);
            else if (Date.now() > deadline)
                await this.abort('fazhi serve logged no "(port N)" line within 15 s');
        }
        this.base = `http://127.0.0.1:${port}`;

        let last = '';
        for (const deadline = Date.now() + 15_000;; await sleep(50)) {
            this.checkAlive('before /healthz answered');
            try {
                const r = await fetch(this.base + '/healthz');
                if (r.status === 200)
                    break;
                last = `status ${r.status}`;
            } catch (e) {
                last = e.message;
            }
            if (Date.now() > deadline)
                await this.abort(`GET /healthz did not answer 200 within 15 s (last: ${last})`);
        }
        return this;
    }

    checkAlive(when) {
        if (this.exit) {
            this.failed = true;
            throw new Error(`fazhi serve exited ${when} (${JSON.stringify(this.exit)})\n` +
                            `---- server log ${this.log} (tail) ----\n${this.logTail()}`);
        }
    }

    async abort(msg) {
        this.failed = true;
        const tail = this.logTail();
        if (this.proc && !this.exit) {
            this.proc.kill('SIGKILL');
            await this.exited;
        }
        throw new Error(`${msg}\n---- server log ${this.log} (tail) ----\n${tail}`);
    }

    url(p) {
        return this.base + p;
    }

    /* SIGTERM, then exit status 0 within 10 s; a failure otherwise. */
    async stop() {
        if (!this.proc)
            return;
        if (!this.exit) {
            this.proc.kill('SIGTERM');
            let timer;
            const late = new Promise((resolve) => {
                timer = setTimeout(() => resolve(null), 10_000);
            });
            const r = await Promise.race([this.exited, late]);
            clearTimeout(timer); /* or it keeps node running for 10 s */
            if (!r) {
                this.proc.kill('SIGKILL');
                await this.exited;
                this.failed = true;
                throw new Error(`fazhi serve did not exit within 10 s of SIGTERM\n` +
                                `---- server log ${this.log} (tail) ----\n${this.logTail(60)}`);
            }
        }
        if (this.exit.code !== 0) {
            this.failed = true;
            throw new Error(`fazhi serve exited with ${JSON.stringify(this.exit)} after SIGTERM ` +
                            `(want status 0)\n---- server log ${this.log} (tail) ----\n` +
                            this.logTail(60));
        }
    }

    /* Removes the directory unless something failed (or FAZHI_TEST_KEEP is set). */
    cleanup(anyFailure) {
        if (anyFailure || this.failed || process.env.FAZHI_TEST_KEEP) {
            process.stdout.write(`kept for inspection: ${this.dir}\n`);
            return;
        }
        fs.rmSync(this.dir, {recursive: true, force: true});
    }
}

/* ================================================================
 * The browser
 * ================================================================ */

export const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
];

export async function launchBrowser() {
    if (!fs.existsSync(CHROMIUM))
        throw new Error(`no Chromium at ${CHROMIUM}: run scripts/deps.sh (apt-get install chromium)`);
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 60_000,
    });
}

/*
 * One file's fixture: a server, a browser, the contexts opened, and the
 * failure bookkeeping. Use as
 *     const fx = fixture();
 *     before(() => fx.setUp(async () => { ...preparation... }));
 *     after(() => fx.tearDown());
 *     journey(fx, 'name', async (t) => { ... });
 */
export function fixture() {
    const fx = {
        server: null,
        browser: null,
        contexts: [],
        failures: 0,
        /* Starts the server and the browser, then runs 'then' (the file's
         * own preparation: sign-ins, entries). */
        async setUp(then) {
            try {
                fx.server = new Server();
                await fx.server.start();
                fx.browser = await launchBrowser();
                if (then)
                    await then();
            } catch (e) {
                fx.failures++;
                throw e;
            }
        },
        /* A new context (cookie jar) with a page; options of browser.newContext. */
        async newPage(opts = {}) {
            const ctx = await fx.browser.newContext({
                baseURL: fx.server.base,
                locale: 'zh-CN',
                timezoneId: 'Asia/Shanghai',
                acceptDownloads: true,
                viewport: {width: 1280, height: 900},
                ...opts,
            });
            ctx.setDefaultTimeout(WAIT);
            ctx.setDefaultNavigationTimeout(WAIT * 2);
            fx.contexts.push(ctx);
            const page = await ctx.newPage();
            page.on('pageerror', (e) => {
                page.errors = page.errors || [];
                page.errors.push(String(e));
            });
            return page;
        },
        async tearDown() {
            const errors = [];
            for (const c of fx.contexts)
                await c.close().catch(() => {});
            if (fx.browser)
                await fx.browser.close().catch((e) => errors.push(e));
            if (fx.server) {
                try {
                    await fx.server.stop();
                } catch (e) {
                    errors.push(e);
                }
                fx.server.cleanup(fx.failures > 0 || errors.length > 0);
            }
            if (errors.length)
                throw errors[0];
        },
    };
    return fx;
}

/*
 * A test of one journey: on failure it adds what helps to find the cause as
 * TAP comments (the page's address, the server log's tail) and keeps the
 * server's directory.
 */
export function journey(test, fx, name, fn) {
    test(name, {timeout: TEST_TIMEOUT}, async (t) => {
        try {
            await fn(t);
            /* a script error on any page open is a failure too (app.js) */
            const errors = [];
            for (const c of fx.contexts)
                for (const p of c.pages()) {
                    errors.push(...(p.errors ?? []).map((e) => `${p.url()}: ${e}`));
                    p.errors = [];
                }
            assert.deepEqual(errors, [], 'script errors on the pages');
        } catch (e) {
            fx.failures++;
            for (const c of fx.contexts)
                for (const p of c.pages())
                    t.diagnostic(`page ${p.url()}` +
                                 (p.errors?.length ? ` script errors: ${p.errors.join('; ')}` : ''));
            if (fx.server) {
                t.diagnostic(`server directory ${fx.server.dir}; log tail:`);
                for (const line of fx.server.logTail(25).split('\n'))
                    t.diagnostic('  ' + line);
            }
            throw e;
        }
    });
}

/* ================================================================
 * Steps of a journey
 * ================================================================ */

/* The login form's fields (assets/templates/login.html). */
export const LOGIN_LABEL = '登录名';
export const PASSWORD_LABEL = '密码';

/* Opens 'path' and expects a 200 page there (not a redirect elsewhere). */
export async function expectPage(page, path) {
    const r = await page.goto(path);
    assert.ok(r, `no response for GET ${path}`);
    assert.equal(r.status(), 200, `GET ${path} answered ${r.status()}, want the page (200)`);
    assert.equal(new URL(page.url()).pathname, path.replace(/\?.*/, ''),
                 `GET ${path} ended at ${page.url()}`);
    return r;
}

/* Fills in and sends the sign-in form; returns the POST's response. */
export async function submitLogin(page, user, password) {
    await expectPage(page, '/login');
    await page.getByLabel(LOGIN_LABEL, {exact: true}).fill(user.login);
    await page.getByLabel(PASSWORD_LABEL, {exact: true}).fill(password ?? user.password);
    const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login');
    await page.getByRole('button', {name: '登录', exact: true}).click();
    return posted;
}

/* Signs 'user' in through the form and waits for the dashboard. */
export async function login(page, user) {
    const r = await submitLogin(page, user);
    assert.equal(r.status(), 303, `POST /login as ${user.login} answered ${r.status()}, want 303`);
    await page.waitForURL((u) => u.pathname === '/console');
}

/* Today in Shanghai as YYYY-MM-DD (the office's calendar). */
export function today() {
    return new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date());
}

/* A title no other test uses. */
let titleSeq = 0;
export function uniqueTitle(what) {
    return `${what}${process.pid}-${Date.now() % 100000}-${++titleSeq}`;
}

export const ledgerListPath = (kind) => `/console/ledger/${kind}`;
export const ledgerNewPath = (kind) => `/console/ledger/${kind}/new`;

/* The form's fields besides the counters. */
export const FORM = {
    title: '标题',
    date: '日期',
    unit: '单位',
    save: '保存',
};

/* Chooses 'unitName' in the unit field when it is a choice (a single unit
 * may be shown as fixed text, or preselected). */
export async function chooseUnit(page, unitName) {
    const field = page.getByLabel(FORM.unit, {exact: true});
    const tag = await field.evaluate((el) => el.tagName.toLowerCase());
    if (tag === 'select')
        await field.selectOption({label: unitName});
    else
        assert.fail(`the unit field is a <${tag}>, want a <select> of the user's units`);
}

/*
 * Opens the lecture form and fills it in: {title, date, unit, attendance,
 * hours}; leaves out what is undefined. Does not send it.
 */
export async function fillLecture(page, v) {
    await expectPage(page, ledgerNewPath(LECTURE.code));
    if (v.title !== undefined)
        await page.getByLabel(FORM.title, {exact: true}).fill(v.title);
    if (v.date !== undefined)
        await page.getByLabel(FORM.date, {exact: true}).fill(v.date);
    if (v.unit !== undefined)
        await chooseUnit(page, v.unit);
    if (v.attendance !== undefined)
        await page.getByLabel(LECTURE.attendance).fill(String(v.attendance));
    if (v.hours !== undefined)
        await page.getByLabel(LECTURE.hours).fill(String(v.hours));
}

/* Sends the form on the page; returns the POST's response. */
export async function submitForm(page) {
    const posted = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', {name: FORM.save, exact: true}).click();
    return posted;
}

/* Records a lecture through the form and waits for the list it leads to. */
export async function recordLecture(page, v) {
    await fillLecture(page, {date: today(), ...v});
    const r = await submitForm(page);
    assert.equal(r.status(), 303,
                 `saving the lecture answered ${r.status()}, want 303 to the list`);
    await page.waitForURL((u) => u.pathname === ledgerListPath(LECTURE.code));
}

/*
 * The error shown beside a field: the input is marked aria-invalid and one
 * of the elements its aria-describedby names holds a message (the pattern
 * of assets/templates/login.html). Returns the message.
 */
export async function errorBeside(input) {
    await input.waitFor();
    const info = await input.evaluate((el) => {
        const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
        const described = ids.map((id) => document.getElementById(id)).filter(Boolean);
        const visible = (n) => !!(n.offsetWidth || n.offsetHeight || n.getClientRects().length);
        return {
            invalid: el.getAttribute('aria-invalid'),
            texts: described.filter(visible).map((n) => n.textContent.trim()).filter(Boolean),
            ids,
            /* distance in the page: the message must sit by the field */
            near: described.filter(visible).map((n) => {
                const a = el.getBoundingClientRect(), b = n.getBoundingClientRect();
                return Math.max(0, b.top - a.bottom, a.top - b.bottom);
            }),
        };
    });
    assert.equal(info.invalid, 'true', 'the field is not marked aria-invalid="true"');
    assert.ok(info.texts.length > 0,
              `no visible message is tied to the field by aria-describedby (ids: ${info.ids})`);
    assert.ok(info.near.some((d) => d < 120),
              `the field's message is ${Math.min(...info.near)} px away from it, not beside it`);
    return info.texts.join(' ');
}

/* Reads the entries of a kind through the API, with the page's session. */
export async function apiEntries(page, kind) {
    const r = await page.request.get(`/api/v1/ledger/entries?kind=${encodeURIComponent(kind)}`);
    assert.equal(r.status(), 200, `GET /api/v1/ledger/entries answered ${r.status()}`);
    return (await r.json()).items;
}

/* Lists a zip's members and reads one with the unzip CLI. */
export function unzipList(file) {
    const r = spawnSync('unzip', ['-Z1', file], {encoding: 'utf8'});
    if (r.error)
        throw new Error(`cannot run unzip: ${r.error.message} (scripts/deps.sh installs it)`);
    assert.equal(r.status, 0, `unzip -Z1 ${file} failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
}

export function unzipRead(file, member) {
    const r = spawnSync('unzip', ['-p', file, member], {encoding: 'utf8', maxBuffer: 64 << 20});
    assert.equal(r.status, 0, `unzip -p ${file} ${member} failed: ${r.stderr}`);
    return r.stdout;
}

/*
 * The text of the cell under column 'header' (a <th> whose text starts with
 * it) in the first row holding 'rowText', in the table that has that column.
 * Column spans are counted, so that a totals row whose label spans several
 * columns still lines up. Returns null when there is no such row or column.
 */
export async function tableCell(page, rowText, header) {
    return page.evaluate(([rowText, header]) => {
        const norm = (s) => s.replace(/\s+/g, ' ').trim();
        const position = (row, cell) => {
            let pos = 0;
            for (const c of row.cells) {
                if (c === cell)
                    return pos;
                pos += c.colSpan || 1;
            }
            return -1;
        };
        for (const table of document.querySelectorAll('table')) {
            const th = [...table.querySelectorAll('thead th, tr:first-child th')]
                .find((h) => norm(h.textContent).startsWith(header));
            if (!th)
                continue;
            const col = position(th.parentElement, th);
            const row = [...table.querySelectorAll('tbody tr, tfoot tr')]
                .find((r) => norm(r.textContent).includes(rowText));
            if (!row)
                return null;
            let pos = 0;
            for (const c of row.cells) {
                const span = c.colSpan || 1;
                if (col >= pos && col < pos + span)
                    return norm(c.textContent);
                pos += span;
            }
            return null;
        }
        return null;
    }, [rowText, header]);
}

/* Turns the browser's own checks of the form around 'field' off, so that
 * what the server says about a bad value can be seen. */
export async function skipBrowserChecks(field) {
    await field.evaluate((el) => {
        el.form.noValidate = true;
    });
}
