/* pubmed-kb list filters: narrow a topic, MeSH, facet or all-papers list by relevance,
 * publication type and year, in the browser (no server). A <div data-kb-filter> marks the
 * list and names the page's publication types (data-kb-types, joined by "|"); each item
 * carries data-f: its relevance, its year ("-" for none) and the numbers of its types
 * there, separated by spaces. */
(function () {
  "use strict";
  var WORDS = {
    en: { relevance: "Relevance", type: "Type", year: "Year", all: "All", shown: "shown" },
    ko: { relevance: "관련도", type: "유형", year: "연도", all: "전체", shown: "표시" }
  };

  function words() {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }

  function select(name, label, values, w) {
    var wrap = document.createElement("label");
    wrap.className = "kb-filter__field";
    wrap.textContent = label + " ";
    var s = document.createElement("select");
    s.dataset.kbFilterKey = name;
    var all = document.createElement("option");
    all.value = "";
    all.textContent = w.all;
    s.appendChild(all);
    values.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v;
      s.appendChild(o);
    });
    wrap.appendChild(s);
    return wrap;
  }

  function setup() {
    var mark = document.querySelector("[data-kb-filter]");
    if (!mark || mark.dataset.kbReady) return;
    mark.dataset.kbReady = "1";
    var items = Array.prototype.slice.call(document.querySelectorAll("article li[data-f]"));
    if (items.length < 2) return;
    var w = words();
    var legend = (mark.dataset.kbTypes || "").split("|");
    var rel = [], types = [], years = [];
    items.forEach(function (li) {
      var f = li.dataset.f.split(" ");
      var r = f[0], y = f[1] === "-" ? "" : f[1];
      li.kbR = r;
      li.kbY = y;
      if (r && rel.indexOf(r) < 0) rel.push(r);
      if (y && years.indexOf(y) < 0) years.push(y);
      li.kbTypes = f.slice(2).map(function (i) { return legend[+i]; });
      li.kbTypes.forEach(function (t) { if (t && types.indexOf(t) < 0) types.push(t); });
    });
    var order = ["high", "medium", "low"];
    rel.sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    types.sort();
    years.sort().reverse();
    var count = document.createElement("span");
    count.className = "kb-filter__count";
    mark.appendChild(select("relevance", w.relevance, rel, w));
    mark.appendChild(select("types", w.type, types, w));
    mark.appendChild(select("year", w.year, years, w));
    mark.appendChild(count);

    function apply() {
      var want = {};
      mark.querySelectorAll("select").forEach(function (s) { want[s.dataset.kbFilterKey] = s.value; });
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
    mark.addEventListener("change", apply);
    apply();
  }

  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setup);
  } else {
    document.addEventListener("DOMContentLoaded", setup);
  }
})();
