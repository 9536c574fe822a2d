/* pubmed-kb list tools: narrow a topic, MeSH, facet or all-papers list by relevance,
 * publication type and year, and order it by newest, relevance, citations or Relative
 * Citation Ratio, in the browser (no server). A <div data-kb-filter> marks the list and
 * names the page's publication types (data-kb-types, joined by "|"); each item carries
 * data-f: its relevance, its year ("-" for none) and the numbers of its types there,
 * separated by spaces. Dates and citations come from assets/kb/sortkeys.json
 * (generator/site/sortkeys.py), fetched once, only when a reader picks an order that needs it.
 * A long list's older pages can be brought into this one ("Whole list"), so that the
 * order and the filters cover all of it. */
(function () {
  "use strict";
  var WORDS = {
    en: {
      relevance: "Relevance", type: "Type", year: "Year", all: "All", shown: "shown",
      order: "Order", as_listed: "As listed", newest: "Newest first",
      by_relevance: "Relevance, then newest", cites: "Most cited", rcr: "Highest RCR",
      whole: "Whole list: add the older pages", loading: "Adding older pages: {n}",
      loaded: "All {n} papers of the list are here", failed: "Could not load: {what}",
      no_signal: "no citation data"
    },
    ko: {
      relevance: "관련도", type: "유형", year: "연도", all: "전체", shown: "표시",
      order: "정렬", as_listed: "목록 순서", newest: "최신순",
      by_relevance: "관련도, 최신순", cites: "인용 많은 순", rcr: "RCR 높은 순",
      whole: "전체 목록: 이전 페이지 추가", loading: "이전 페이지 추가 중: {n}",
      loaded: "목록의 논문 {n}편 모두 표시", failed: "불러오지 못함: {what}",
      no_signal: "인용 정보 없음"
    }
  };
  var RANK = { high: 0, medium: 1, low: 2 };

  function words() {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return String(values[k]); });
  }

  // The site's root, from this script's own address (…/assets/kb/filter.js).
  var ROOT = (function () {
    var s = document.currentScript && document.currentScript.src;
    return s ? new URL("../../", s).href : new URL("/", location.href).href;
  })();

  // PMID → {date, cites, rcr}: assets/kb/sortkeys.json, fetched once (also by search.js).
  var keys = null;
  function sortKeys() {
    if (!keys) {
      keys = fetch(ROOT + "assets/kb/sortkeys.json").then(function (r) {
        if (!r.ok) throw new Error("sortkeys.json: HTTP " + r.status);
        return r.json();
      }).then(function (t) {
        var out = {}, pmid = 0;
        for (var i = 0; i < t.pmid.length; i++) {
          pmid += t.pmid[i];
          out[pmid] = { date: t.date[i], cites: t.cites[i], rcr: t.rcr[i] };
        }
        return out;
      });
      keys.catch(function () { keys = null; });  // a later try may work
    }
    return keys;
  }
  window.kbSortKeys = sortKeys;

  function select(name, label, values, w, first) {
    var wrap = document.createElement("label");
    wrap.className = "kb-filter__field";
    wrap.textContent = label + " ";
    var s = document.createElement("select");
    s.dataset.kbFilterKey = name;
    var all = document.createElement("option");
    all.value = "";
    all.textContent = first || w.all;
    s.appendChild(all);
    values.forEach(function (v) {
      var o = document.createElement("option");
      if (Array.isArray(v)) { o.value = v[0]; o.textContent = v[1]; } else { o.value = v; o.textContent = v; }
      s.appendChild(o);
    });
    wrap.appendChild(s);
    return wrap;
  }

  function pmidOf(li) {
    var a = li.querySelector("a[href]");
    var m = a && /\/papers\/(\d+)\/?$/.exec(new URL(a.getAttribute("href"), li.kbBase || location.href).pathname);
    return m ? +m[1] : 0;
  }

  function read(li, legend, base) {
    var f = li.dataset.f.split(" ");
    li.kbBase = base;
    li.kbR = f[0];
    li.kbY = f[1] === "-" ? "" : f[1];
    li.kbTypes = f.slice(2).map(function (i) { return legend[+i]; });
    li.kbPmid = pmidOf(li);
    return li;
  }

  function setup() {
    var mark = document.querySelector("[data-kb-filter]");
    if (!mark || mark.dataset.kbReady) return;
    mark.dataset.kbReady = "1";
    var article = mark.closest("article") || document;
    var items = Array.prototype.slice.call(article.querySelectorAll("li[data-f]"));
    var pager = article.querySelector(".kb-pager a[rel=next]");
    if (items.length < 2 && !pager) return;
    var w = words();
    var legend = (mark.dataset.kbTypes || "").split("|");
    items.forEach(function (li, i) { read(li, legend, location.href).kbAt = i; });
    var homes = items.map(function (li) { return li.parentNode; });
    var count = document.createElement("span");
    count.className = "kb-filter__count";
    count.setAttribute("role", "status");
    var note = document.createElement("span");
    note.className = "kb-filter__note";
    note.setAttribute("role", "status");
    var selects = document.createElement("span");
    selects.className = "kb-filter__fields";

    function choices() {
      var rel = [], types = [], years = [];
      items.forEach(function (li) {
        if (li.kbR && rel.indexOf(li.kbR) < 0) rel.push(li.kbR);
        if (li.kbY && years.indexOf(li.kbY) < 0) years.push(li.kbY);
        li.kbTypes.forEach(function (t) { if (t && types.indexOf(t) < 0) types.push(t); });
      });
      rel.sort(function (a, b) { return RANK[a] - RANK[b]; });
      types.sort();
      years.sort().reverse();
      var want = current();
      selects.textContent = "";
      selects.appendChild(select("relevance", w.relevance, rel, w));
      selects.appendChild(select("types", w.type, types, w));
      selects.appendChild(select("year", w.year, years, w));
      selects.appendChild(select("order", w.order, [
        ["newest", w.newest], ["relevance", w.by_relevance], ["cites", w.cites], ["rcr", w.rcr]
      ], w, w.as_listed));
      selects.querySelectorAll("select").forEach(function (s) {
        var v = want[s.dataset.kbFilterKey] || "";
        if (Array.prototype.some.call(s.options, function (o) { return o.value === v; })) s.value = v;
      });
    }

    function current() {
      var want = {};
      selects.querySelectorAll("select").forEach(function (s) { want[s.dataset.kbFilterKey] = s.value; });
      return want;
    }

    function narrow() {
      var want = current();
      var shown = 0;
      items.forEach(function (li) {
        var ok = (!want.relevance || li.kbR === want.relevance) &&
          (!want.year || li.kbY === want.year) &&
          (!want.types || li.kbTypes.indexOf(want.types) >= 0);
        li.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = shown + " / " + items.length + " " + w.shown;
    }

    // One list, in the chosen order, in place of the page's sections ("As listed" puts
    // every item back where the page had it).
    var sorted = null;
    function order(how, table) {
      var sections = article.querySelectorAll("ul.kb-list:not(.kb-list--sorted)");
      if (!how) {
        items.forEach(function (li, i) { homes[i].appendChild(li); });
        sections.forEach(function (ul) { show(ul, true); });
        if (sorted) sorted.hidden = true;
        return;
      }
      function date(li) { var k = table && table[li.kbPmid]; return k ? k.date : 0; }
      function num(li, key) {
        var k = table && table[li.kbPmid];
        return k && k[key] !== null && k[key] !== undefined && k[key] >= 0 ? k[key] : -1;
      }
      function newest(a, b) { return date(b) - date(a) || b.kbPmid - a.kbPmid; }
      var by = {
        newest: newest,
        relevance: function (a, b) { return RANK[a.kbR] - RANK[b.kbR] || newest(a, b); },
        cites: function (a, b) { return num(b, "cites") - num(a, "cites") || newest(a, b); },
        rcr: function (a, b) { return num(b, "rcr") - num(a, "rcr") || newest(a, b); }
      }[how];
      if (!sorted) {
        sorted = document.createElement("ul");
        sorted.className = "kb-list kb-list--sorted";
        mark.parentNode.insertBefore(sorted, mark.nextSibling);
      }
      items.slice().sort(by).forEach(function (li) { sorted.appendChild(li); });
      sections.forEach(function (ul) { show(ul, false); });
      sorted.hidden = false;
      if ((how === "cites" || how === "rcr") && table) {
        var known = items.filter(function (li) { return num(li, how) >= 0; }).length;
        note.textContent = known < items.length ? (items.length - known) + " " + w.no_signal : "";
      } else {
        note.textContent = "";
      }
    }

    // A section's list and the heading just before it.
    function show(ul, visible) {
      ul.hidden = !visible;
      var h = ul.previousElementSibling;
      if (h && /^H[2-6]$/.test(h.tagName)) h.hidden = !visible;
    }

    function apply() {
      var how = current().order;
      narrow();
      if (!how) { order("", null); return; }
      sortKeys().then(function (table) { order(how, table); }, function () {
        order(how, null);  // without the table: relevance and page order still work
        note.textContent = fill(w.failed, { what: "sortkeys.json" });
      });
    }

    // "Whole list": the older pages' items, fetched one page after another (their links
    // made absolute, for they were written for that page's address).
    function loadAll(button) {
      button.disabled = true;
      var more = document.createElement("ul");
      more.className = "kb-list kb-list--older";
      var last = article.querySelectorAll("ul.kb-list:not(.kb-list--sorted)");
      last = last[last.length - 1];
      last.parentNode.insertBefore(more, last.nextSibling);
      var pages = 0;
      function step(url) {
        if (!url) return Promise.resolve();
        return fetch(url).then(function (r) {
          if (!r.ok) throw new Error(url + ": HTTP " + r.status);
          return r.text();
        }).then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var types = ((doc.querySelector("[data-kb-filter]") || {}).dataset || {}).kbTypes;
          var their = (types || "").split("|");
          doc.querySelectorAll("article li[data-f]").forEach(function (li) {
            var copy = document.importNode(li, true);
            copy.querySelectorAll("a[href]").forEach(function (a) {
              a.setAttribute("href", new URL(a.getAttribute("href"), url).href);
            });
            read(copy, their, url).kbAt = items.length;
            items.push(copy);
            homes.push(more);
            more.appendChild(copy);
          });
          pages += 1;
          note.textContent = fill(w.loading, { n: pages });
          var next = doc.querySelector("article .kb-pager a[rel=next]");
          return step(next ? new URL(next.getAttribute("href"), url).href : null);
        });
      }
      step(new URL(pager.getAttribute("href"), location.href).href).then(function () {
        article.querySelectorAll(".kb-pager").forEach(function (p) { p.hidden = true; });
        button.remove();
        choices();
        apply();
        note.textContent = fill(w.loaded, { n: items.length });
      }, function (e) {
        button.disabled = false;
        note.textContent = fill(w.failed, { what: e.message });
      });
    }

    mark.appendChild(selects);
    choices();
    mark.appendChild(count);
    if (pager) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "md-button kb-filter__whole";
      button.textContent = w.whole;
      button.addEventListener("click", function () { loadAll(button); });
      mark.appendChild(button);
    }
    mark.appendChild(note);
    mark.addEventListener("change", apply);
    narrow();
  }

  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setup);
  } else {
    document.addEventListener("DOMContentLoaded", setup);
  }
})();
