/*
 * app.js - the small script of fazhi's pages.
 *
 * Every page works without it: links navigate, forms post and the server
 * redirects. With it, three enhancements (src/web/README.md has the markup):
 *
 *   data-confirm="问题"        on a form, button or link: asks first.
 *   data-fragment="#id"       on a link or form: fetches the page it leads
 *                             to and replaces only the element #id (and the
 *                             flash messages) instead of loading the page.
 *   data-live-feed="a.b c.d"  on a list: events of those types from the
 *                             event stream are added at its top.
 *   data-live-refresh="a.b"   on an element with an id: fetched again when
 *                             such an event arrives.
 *
 * The stream (GET /api/v1/events, from data-live-src) is opened only when a
 * page has a feed or a refresh target; [data-live-status] shows its state.
 * The Content-Security-Policy allows no inline script, so nothing here is
 * written into the markup, and no HTML from the network is inserted except
 * elements taken from a same-origin page of this site.
 */
(function () {
    "use strict";

    var doc = document;
    var FRAGMENT = /^#[A-Za-z][\w-]*$/;

    function sameOrigin(url) {
        try {
            return new URL(url, location.href).origin === location.origin;
        } catch (e) {
            return false;
        }
    }

    function closest(node, selector) {
        return node && node.closest ? node.closest(selector) : null;
    }

    /* ---- confirmations ---- */

    doc.addEventListener("click", function (e) {
        var el = closest(e.target, "a[data-confirm], button[data-confirm], input[data-confirm]");
        if (el && !window.confirm(el.getAttribute("data-confirm"))) {
            e.preventDefault();
            e.stopImmediatePropagation();
        }
    }, true);

    doc.addEventListener("submit", function (e) {
        var form = e.target;
        if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
            e.preventDefault();
            e.stopImmediatePropagation();
        }
    }, true);

    /* ---- fragments ---- */

    /*
     * Replaces 'selector' (and #flash) with the same elements of 'html'. With
     * 'focus' (a navigation, not a live refresh) an error summary in the new
     * content takes the focus, so that a screen reader reads it.
     */
    function swap(html, selector, focus) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var fresh = next.querySelector(selector);
        var old = doc.querySelector(selector);
        var flash = next.getElementById("flash");
        var oldFlash;
        var title = next.querySelector("title");
        var alert;

        if (!fresh || !old) {
            return false;
        }
        old.replaceWith(doc.adoptNode(fresh));
        if (flash && !fresh.contains(flash) && (oldFlash = doc.getElementById("flash"))) {
            oldFlash.replaceWith(doc.adoptNode(flash));
        }
        if (!focus) {
            return true;
        }
        if (title) {
            doc.title = title.textContent;
        }
        alert = fresh.querySelector("[role=alert], .form-error-summary");
        if (alert) {
            alert.setAttribute("tabindex", "-1");
            alert.focus();
        }
        return true;
    }

    function load(url, opts, selector, push) {
        var target = doc.querySelector(selector);

        if (target) {
            target.setAttribute("aria-busy", "true");
        }
        opts.credentials = "same-origin";
        opts.headers = {"X-Requested-With": "fetch"};
        return fetch(url, opts).then(function (res) {
            return res.text().then(function (html) {
                var type = res.headers.get("Content-Type") || "";
                var done = type.indexOf("text/html") === 0 &&
                    (swap(html, selector, true) || swap(html, "#main", true));
                if (!done) {
                    location.assign(res.url || url);
                    return;
                }
                if (push === true || (push === "redirected" && res.redirected)) {
                    history.pushState({fragment: selector}, "", res.url || url);
                }
            });
        }).catch(function () {
            var box = doc.getElementById("flash");
            if (box) {
                box.innerHTML = "";
                var p = doc.createElement("p");
                p.className = "flash flash-error";
                p.textContent = "网络连接失败，请稍后重试。";
                box.appendChild(p);
            }
        }).then(function () {
            var t = doc.querySelector(selector);
            if (t) {
                t.removeAttribute("aria-busy");
            }
            if (target && target !== t) {
                target.removeAttribute("aria-busy");
            }
        });
    }

    doc.addEventListener("click", function (e) {
        var a = closest(e.target, "a[data-fragment]");
        var selector = a && a.getAttribute("data-fragment");
        if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey ||
            e.shiftKey || e.altKey || !window.fetch || !FRAGMENT.test(selector) ||
            !sameOrigin(a.href)) {
            return;
        }
        e.preventDefault();
        load(a.href, {method: "GET"}, selector, true);
    });

    doc.addEventListener("submit", function (e) {
        var form = e.target;
        var selector = form.getAttribute("data-fragment");
        var method = (form.getAttribute("method") || "get").toUpperCase();
        var action = form.getAttribute("action") || location.href;
        var data, params, url, opts, buttons;

        if (e.defaultPrevented || !selector || !FRAGMENT.test(selector) || !window.fetch ||
            !window.URLSearchParams || !sameOrigin(action) ||
            (form.getAttribute("enctype") || "").indexOf("multipart") === 0) {
            return; /* the browser submits it */
        }
        e.preventDefault();
        data = new FormData(form);
        if (e.submitter && e.submitter.name) {
            data.append(e.submitter.name, e.submitter.value);
        }
        params = new URLSearchParams(data);
        url = new URL(action, location.href);
        opts = {method: method};
        if (method === "GET") {
            url.search = params.toString();
        } else {
            opts.body = params;
        }
        buttons = form.querySelectorAll("button, input[type=submit]");
        buttons.forEach(function (b) { b.disabled = true; });
        load(url.href, opts, selector, method === "GET" ? true : "redirected").then(function () {
            buttons.forEach(function (b) { b.disabled = false; });
        });
    });

    window.addEventListener("popstate", function (e) {
        if (e.state && e.state.fragment) {
            location.reload();
        }
    });

    /* ---- live updates ---- */

    var STATUS_TEXT = {
        connecting: "正在连接实时更新…",
        open: "实时更新",
        reconnecting: "正在重新连接…",
        closed: "实时更新已断开，请刷新页面"
    };

    function types(el, attr) {
        return (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean);
    }

    function field(data, path) {
        return path.split(".").reduce(function (v, k) {
            return v !== null && typeof v === "object" ? v[k] : undefined;
        }, data);
    }

    /* A feed item: the feed's <template data-live-item> filled in by
     * data-field="a.b" (text) and data-href="/x/{id}" (links), or a line of text. */
    function feedItem(feed, data, type) {
        var tpl = feed.querySelector("template[data-live-item]");
        var item, node;

        if (tpl && tpl.content.firstElementChild) {
            item = tpl.content.firstElementChild.cloneNode(true);
            item.querySelectorAll("[data-field]").forEach(function (n) {
                var v = field(data, n.getAttribute("data-field"));
                n.textContent = v === undefined || v === null ? "" : String(v);
            });
            item.querySelectorAll("a[data-href]").forEach(function (n) {
                var href = n.getAttribute("data-href").replace(/\{([\w.]+)\}/g, function (m, k) {
                    var v = field(data, k);
                    return encodeURIComponent(v === undefined || v === null ? "" : String(v));
                });
                if (href.charAt(0) === "/" && href.charAt(1) !== "/") {
                    n.setAttribute("href", href);
                }
            });
        } else {
            item = doc.createElement(feed.tagName === "UL" || feed.tagName === "OL" ? "li" : "div");
            node = doc.createElement("span");
            node.textContent = data.summary || data.title || data.name || type;
            item.appendChild(node);
            node = doc.createElement("time");
            node.textContent = new Date().toLocaleString("zh-CN", {hour12: false});
            item.appendChild(node);
        }
        item.classList.add("feed-item", "feed-item-new");
        return item;
    }

    function addToFeed(feed, data, type) {
        var max = parseInt(feed.getAttribute("data-live-max") || "50", 10);
        var empty = feed.querySelector("[data-live-empty]");
        var items;

        if (empty) {
            empty.remove();
        }
        feed.insertBefore(feedItem(feed, data, type), feed.firstChild);
        items = feed.querySelectorAll(".feed-item");
        for (var i = max; i < items.length; i++) {
            items[i].remove();
        }
    }

    var pending = {};

    function refresh(el) {
        var id = el.id;
        if (!id || pending[id]) {
            return;
        }
        /* Several events in a burst need one fetch. */
        pending[id] = setTimeout(function () {
            delete pending[id];
            fetch(location.href, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
                .then(function (res) { return res.ok ? res.text() : ""; })
                .then(function (html) {
                    if (html && FRAGMENT.test("#" + id)) {
                        swap(html, "#" + id, false);
                    }
                })
                .catch(function () {});
        }, 300);
    }

    function startLive() {
        var src = doc.querySelector("[data-live-src]");
        var status = doc.querySelector("[data-live-status]");
        var feeds = doc.querySelectorAll("[data-live-feed]");
        var targets = doc.querySelectorAll("[data-live-refresh]");
        var wanted = {};
        var url, es;

        if (!window.EventSource || !src || (!feeds.length && !targets.length)) {
            return;
        }
        url = src.getAttribute("data-live-src");
        if (!sameOrigin(url)) {
            return;
        }
        function setStatus(state) {
            if (status) {
                status.hidden = false;
                status.setAttribute("data-state", state);
                status.textContent = STATUS_TEXT[state];
            }
        }
        feeds.forEach(function (f) {
            if (!f.hasAttribute("aria-live")) {
                f.setAttribute("aria-live", "polite");
            }
            types(f, "data-live-feed").forEach(function (t) { wanted[t] = true; });
        });
        targets.forEach(function (t) {
            types(t, "data-live-refresh").forEach(function (ty) { wanted[ty] = true; });
        });
        es = new EventSource(url);
        setStatus("connecting");
        es.onopen = function () { setStatus("open"); };
        es.onerror = function () {
            /* EventSource reconnects by itself, with Last-Event-ID; CLOSED
             * means the server refused (the session ended). */
            setStatus(es.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
        };
        Object.keys(wanted).forEach(function (type) {
            es.addEventListener(type, function (e) {
                var data;
                try {
                    data = JSON.parse(e.data);
                } catch (x) {
                    data = {};
                }
                /* Looked up again: a fragment may have replaced them. */
                doc.querySelectorAll("[data-live-feed]").forEach(function (f) {
                    if (types(f, "data-live-feed").indexOf(type) >= 0) {
                        addToFeed(f, data || {}, type);
                    }
                });
                doc.querySelectorAll("[data-live-refresh]").forEach(function (t) {
                    if (types(t, "data-live-refresh").indexOf(type) >= 0) {
                        refresh(t);
                    }
                });
            });
        });
        window.addEventListener("pagehide", function () { es.close(); });
    }

    if (doc.readyState === "loading") {
        doc.addEventListener("DOMContentLoaded", startLive);
    } else {
        startLive();
    }
}());

/* ==== Section added with the ledger pages (issue 4): CSV file into a text box ====
 *
 *   <div data-file-reader hidden> ... <input type="file" data-file-into="ID"> </div>
 *
 * The import form posts the CSV as the text of a <textarea> (the server reads
 * url-encoded forms only). With JavaScript the hidden file picker shows, and
 * a chosen file is read as UTF-8 into the text box ID for the user to check
 * and submit; without JavaScript the user pastes the text.
 */
(function () {
    "use strict";

    function start() {
        if (!window.FileReader) {
            return;
        }
        document.querySelectorAll("[data-file-reader]").forEach(function (box) {
            box.hidden = false;
        });
        document.querySelectorAll("input[type=file][data-file-into]").forEach(function (input) {
            input.addEventListener("change", function () {
                var target = document.getElementById(input.getAttribute("data-file-into"));
                var file = input.files && input.files[0];
                var reader;
                if (!target || !file) {
                    return;
                }
                reader = new FileReader();
                reader.onload = function () {
                    /* A leading BOM is dropped: the server accepts the text with or without it. */
                    target.value = String(reader.result || "").replace(/^\uFEFF/, "");
                    target.focus();
                };
                reader.readAsText(file, "utf-8");
            });
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
}());

/* ==== Section added with the resident-matter pages ====
 *
 *   form[data-matter-form]     the portal's submit form: only the chosen type's
 *                              [data-type-fields] show (the others are disabled,
 *                              so not sent), the type's description under the
 *                              select, and the [data-geo] location button.
 *   [data-track-events="URL"]  the tracking page's live part (an id): on each
 *                              "matter.changed" of the stream the page is
 *                              fetched again and the part replaced, and
 *                              [data-track-notice] shows 已更新 for a while.
 */
(function () {
    "use strict";

    var doc = document;

    function typeFields(form) {
        var select = form.querySelector("select[name=type]");
        var hint = form.querySelector("[data-type-hint]");
        var opt;
        function show() {
            form.querySelectorAll("[data-type-fields]").forEach(function (fs) {
                var on = fs.getAttribute("data-type-fields") === select.value;
                fs.hidden = !on;
                fs.disabled = !on;
            });
            opt = select.options[select.selectedIndex];
            if (hint && opt && opt.getAttribute("data-description")) {
                hint.textContent = opt.getAttribute("data-description");
            }
        }
        if (select) {
            form.classList.add("js-types"); /* the description shows under the select */
            select.addEventListener("change", show);
            show();
        }
    }

    function geo(form) {
        var box = form.querySelector("[data-geo]");
        var status = box && box.querySelector("[data-geo-status]");
        if (!box || !navigator.geolocation) {
            return;
        }
        box.hidden = false;
        box.querySelector("[data-geo-button]").addEventListener("click", function () {
            status.textContent = "正在获取位置…";
            navigator.geolocation.getCurrentPosition(function (p) {
                box.querySelector("[data-geo-lat]").value = p.coords.latitude.toFixed(6);
                box.querySelector("[data-geo-lon]").value = p.coords.longitude.toFixed(6);
                status.textContent = "已附上位置（精度约 " + Math.round(p.coords.accuracy) + " 米）。";
            }, function () {
                status.textContent = "无法获取位置，请在地点一栏写明。";
            }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
        });
    }

    function track(live) {
        var id = live.id;
        var notice = doc.querySelector("[data-track-notice]");
        var url = live.getAttribute("data-track-events");
        var timer, es;
        if (!window.EventSource || !window.fetch || !id || url.charAt(0) !== "/") {
            return;
        }
        es = new EventSource(url);
        es.addEventListener("matter.changed", function () {
            fetch(location.pathname, {credentials: "same-origin"})
                .then(function (res) { return res.ok ? res.text() : ""; })
                .then(function (html) {
                    var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById(id);
                    var old = doc.getElementById(id);
                    var active = doc.activeElement;
                    if (!fresh || !old || (active && old.contains(active) && active.value)) {
                        return; /* not while the resident is typing there */
                    }
                    old.replaceWith(doc.adoptNode(fresh));
                    if (notice) {
                        notice.hidden = false;
                        clearTimeout(timer);
                        timer = setTimeout(function () { notice.hidden = true; }, 5000);
                    }
                })
                .catch(function () {});
        });
        window.addEventListener("pagehide", function () { es.close(); });
    }

    function start() {
        doc.querySelectorAll("form[data-matter-form]").forEach(function (f) {
            typeFields(f);
            geo(f);
        });
        doc.querySelectorAll("[data-track-events]").forEach(track);
    }

    if (doc.readyState === "loading") {
        doc.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
}());
