/* pubmed-kb search: a dialog on Pagefind's search API (pagefind.js).
 *
 * Loaded on every page; nothing is downloaded until the dialog first opens. Then only what
 * a query needs: each index shard's entry and metadata, the index chunks holding the words
 * typed, and the excerpts of the results shown. The filters (topic, relevance, type, year)
 * are loaded when the reader opens them, not on every search: at 50,000 papers they were
 * 600 KB of the first query. The index is in shards (generator/site/search_index.py) listed in
 * pagefind/shards.json and searched together (Pagefind's mergeIndex).
 *
 * The dialog is modal: focus stays inside while it is open and returns to the button that
 * opened it; Escape closes it. */
(function () {
  "use strict";

  var WORDS = {
    en: {
      label: "Search the papers", results: "{n} results", result: "1 result", none: "No results",
      more: "Show more results", filters: "Filters", all: "All", loading: "Searching…",
      topic: "Topic", relevance: "Relevance", type: "Publication type", year: "Year",
      retracted: "⚠ Retracted", unavailable: "Search is unavailable here ({why}). It needs the site served over http(s).",
      close: "Close search", cited: "cited {n}", rcr: "RCR {r}"
    },
    ko: {
      label: "논문 검색", results: "결과 {n}건", result: "결과 1건", none: "결과 없음",
      more: "결과 더 보기", filters: "필터", all: "전체", loading: "검색 중…",
      topic: "주제", relevance: "관련도", type: "논문 유형", year: "연도",
      retracted: "⚠ 철회됨", unavailable: "여기서는 검색할 수 없습니다({why}). 사이트를 http(s)로 열어야 합니다.",
      close: "검색 닫기", cited: "인용 {n}회", rcr: "RCR {r}"
    }
  };
  var PAGE = 10;
  var FILTER_ORDER = ["topic", "relevance", "type", "year"];

  function words() {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }

  function box() { return document.querySelector("[data-kb-search]"); }

  var state = { pagefind: null, loading: null, opener: null, term: "", filters: {}, shown: 0,
                results: [], run: 0 };

  // --------------------------------------------------------------- the index

  function shards(bundle) {
    return fetch(bundle + "shards.json").then(function (r) {
      if (!r.ok) throw new Error(bundle + "shards.json: HTTP " + r.status);
      return r.json();
    }).then(function (m) {
      if (!m.shards || !m.shards.length) throw new Error("the search index is empty");
      return m.shards.map(function (s) { return bundle + s; });
    });
  }

  function load() {
    if (state.loading) return state.loading;
    var b = box();
    var bundle = new URL(b.dataset.bundle, location.href).href;
    var root = new URL(b.dataset.root, location.href);
    state.loading = Promise.all([shards(bundle), import(bundle + "pagefind.js")])
      .then(function (got) {
        var parts = got[0], pagefind = got[1];
        return pagefind.options({
          basePath: parts[0], baseUrl: root.pathname, excerptLength: 30
        }).then(function () {
          return Promise.all(parts.slice(1).map(function (p) { return pagefind.mergeIndex(p); }));
        }).then(function () {
          state.pagefind = pagefind;
          return pagefind;
        });
      });
    return state.loading;
  }

  // --------------------------------------------------------------- the dialog

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function dialog(create) {
    var d = document.getElementById("kb-search-dialog");
    if (d || !create) return d;
    var w = words();
    d = el("div", { id: "kb-search-dialog", class: "kb-search__dialog", role: "dialog",
                    "aria-modal": "true", "aria-labelledby": "kb-search-label" });
    d.hidden = true;
    d.innerHTML =
      '<div class="kb-search__backdrop" data-kb-search-close></div>' +
      '<div class="kb-search__panel">' +
      '<button type="button" class="kb-search__close md-icon" data-kb-search-close>' +
      '<span class="kb-i kb-i--material-close" aria-hidden="true"></span></button>' +
      '<label id="kb-search-label" class="kb-search__label" for="kb-search-input"></label>' +
      '<input id="kb-search-input" class="kb-search__input" type="search" autocomplete="off" ' +
      'spellcheck="false" aria-describedby="kb-search-status">' +
      '<details class="kb-search__filters"><summary></summary><div class="kb-search__fields">' +
      "</div></details>" +
      '<p id="kb-search-status" class="kb-search__status" role="status" aria-live="polite"></p>' +
      '<ol class="kb-search__results"></ol>' +
      '<button type="button" class="md-button kb-search__more" hidden></button>' +
      "</div>";
    d.querySelector(".kb-search__close").setAttribute("aria-label", w.close);
    d.querySelector("#kb-search-label").textContent = w.label;
    d.querySelector(".kb-search__filters summary").textContent = w.filters;
    d.querySelector(".kb-search__more").textContent = w.more;
    d.querySelector("#kb-search-input").addEventListener("input", function (ev) {
      state.term = ev.target.value;
      search();
    });
    d.querySelector(".kb-search__filters").addEventListener("toggle", function (ev) {
      if (ev.target.open) showFilters();
    });
    d.querySelector(".kb-search__more").addEventListener("click", more);
    document.body.appendChild(d);
    openers().forEach(function (b) { b.setAttribute("aria-controls", "kb-search-dialog"); });
    return d;
  }

  function status(text) {
    var s = document.getElementById("kb-search-status");
    if (s) s.textContent = text;
  }

  function openers() { return document.querySelectorAll("[data-kb-search-open]"); }

  function open(opener) {
    var d = dialog(true);
    if (!d) return;
    state.opener = opener || document.activeElement;
    d.hidden = false;
    document.documentElement.classList.add("kb-search--open");
    openers().forEach(function (b) { b.setAttribute("aria-expanded", "true"); });
    var input = d.querySelector("#kb-search-input");
    input.focus();
    input.select();
    load().then(function () { if (state.term) search(); }, function (err) {
      status(words().unavailable.replace("{why}", err.message));
    });
  }

  function close() {
    var d = dialog();
    if (!d || d.hidden) return;
    d.hidden = true;
    document.documentElement.classList.remove("kb-search--open");
    openers().forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
    var back = state.opener;
    state.opener = null;
    if (back && back.focus && document.contains(back)) back.focus();
  }

  // Tab and Shift-Tab cycle through the dialog's own controls while it is open.
  function trap(ev) {
    var d = dialog();
    if (!d || d.hidden || ev.key !== "Tab") return;
    var items = Array.prototype.filter.call(
      d.querySelectorAll("a[href], button, input, select, summary"),
      function (x) { return !x.hidden && !x.disabled && x.offsetParent !== null; });
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (ev.shiftKey && (document.activeElement === first || !d.contains(document.activeElement))) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && (document.activeElement === last || !d.contains(document.activeElement))) {
      ev.preventDefault();
      first.focus();
    }
  }

  // --------------------------------------------------------------- searching

  function search() {
    var run = ++state.run;
    var term = state.term.trim();
    var list = dialog().querySelector(".kb-search__results");
    var filters = activeFilters();
    if (!term && !Object.keys(filters).length) {
      list.innerHTML = "";
      dialog().querySelector(".kb-search__more").hidden = true;
      status("");
      return;
    }
    status(words().loading);
    load().then(function (pagefind) {
      return pagefind.debouncedSearch(term || null, { filters: filters }, 250);
    }).then(function (found) {
      if (found === null || run !== state.run) return;  // a newer search took over
      state.results = found.results;
      state.shown = 0;
      list.innerHTML = "";
      var n = found.results.length, w = words();
      status(n === 0 ? w.none : n === 1 ? w.result : w.results.replace("{n}", n.toLocaleString()));
      return more();
    }).catch(function (err) { status(words().unavailable.replace("{why}", err.message)); });
  }

  function more() {
    var d = dialog();
    var list = d.querySelector(".kb-search__results");
    var batch = state.results.slice(state.shown, state.shown + PAGE);
    state.shown += batch.length;
    d.querySelector(".kb-search__more").hidden = state.shown >= state.results.length;
    var term = state.term.trim();
    // citations and RCR from assets/kb/sortkeys.json (filter.js fetches it once), if it came
    var table = window.kbSortKeys ? window.kbSortKeys().catch(function () { return null; }) : null;
    return Promise.all(batch.map(function (r) { return r.data(); }).concat([table]))
      .then(function (items) {
        var keys = items.pop();
        items.forEach(function (item) { list.appendChild(resultItem(item, term, keys)); });
      });
  }

  function signals(url, keys) {
    var m = /\/papers\/(\d+)\/?$/.exec(new URL(url, location.href).pathname);
    var k = m && keys && keys[m[1]];
    if (!k) return [];
    var out = [];
    if (k.cites >= 0) out.push(words().cited.replace("{n}", k.cites.toLocaleString()));
    if (k.rcr !== null && k.rcr !== undefined) out.push(words().rcr.replace("{r}", k.rcr.toFixed(2)));
    return out;
  }

  function resultItem(item, term, keys) {
    var meta = item.meta || {};
    var li = el("li", { class: "kb-search__result" });
    var href = item.url + (term ? "?highlight=" + encodeURIComponent(term) : "");
    var a = el("a", { href: href, class: "kb-search__title" });
    if (meta.retracted) a.appendChild(el("strong", {}, words().retracted + " · "));
    a.appendChild(document.createTextNode(meta.title || item.url));
    li.appendChild(a);
    var where = [meta.journal, meta.year].concat(signals(item.url, keys)).filter(Boolean).join(" · ");
    if (where) li.appendChild(el("div", { class: "kb-search__where" }, where));
    var excerpt = el("p", { class: "kb-search__excerpt" });
    excerpt.innerHTML = item.excerpt || "";  // Pagefind escapes the text; marks the words
    li.appendChild(excerpt);
    return li;
  }

  // --------------------------------------------------------------- filters (on demand)

  function activeFilters() {
    var out = {};
    var d = dialog();
    if (!d) return out;
    d.querySelectorAll("select[data-kb-filter]").forEach(function (s) {
      if (s.value) out[s.dataset.kbFilter] = [s.value];
    });
    return out;
  }

  function showFilters() {
    var fields = dialog().querySelector(".kb-search__fields");
    if (fields.childElementCount) return;
    var w = words();
    load().then(function (pagefind) { return pagefind.filters(); }).then(function (all) {
      FILTER_ORDER.filter(function (k) { return all[k]; }).forEach(function (key) {
        var id = "kb-search-filter-" + key;
        var label = el("label", { for: id, class: "kb-search__field" }, w[key] || key);
        var select = el("select", { id: id, "data-kb-filter": key });
        select.appendChild(el("option", { value: "" }, w.all));
        var values = Object.keys(all[key]).sort(function (a, b) {
          return key === "year" ? b.localeCompare(a) : a.localeCompare(b);
        });
        values.forEach(function (v) {
          var o = el("option", { value: v }, v + " (" + all[key][v].toLocaleString() + ")");
          select.appendChild(o);
        });
        select.addEventListener("change", search);
        fields.appendChild(label);
        fields.appendChild(select);
      });
    });
  }

  // --------------------------------------------------------------- wiring

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest("[data-kb-search-open]");
    if (opener) { ev.preventDefault(); open(opener); return; }
    if (ev.target.closest("[data-kb-search-close]")) { close(); return; }
    if (ev.target.closest(".kb-search__results a")) { close(); }
  });

  document.addEventListener("keydown", function (ev) {
    var d = dialog();
    if (d && !d.hidden) {
      if (ev.key === "Escape") { ev.preventDefault(); close(); return; }
      trap(ev);
      return;
    }
    var k = ev.key.toLowerCase();
    if ((ev.ctrlKey || ev.metaKey) && k === "k") { ev.preventDefault(); open(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    if (k === "/" || k === "s" || k === "f") { ev.preventDefault(); open(); }
  }, true);

  // Highlight the words searched for on the page a result opened (?highlight=...).
  function highlight() {
    if (!/[?&]highlight=/.test(location.search)) return;
    var b = box();
    if (!b) return;
    var bundle = new URL(b.dataset.bundle, location.href).href;
    import(bundle + "pagefind-highlight.js").then(function () {
      new PagefindHighlight({ highlightParam: "highlight" });
    }).catch(function () { /* highlighting is a nicety */ });
  }

  function ready() {
    openers().forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
    close();
    highlight();
  }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(ready);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();

  window.kbSearch = { words: WORDS };
})();
