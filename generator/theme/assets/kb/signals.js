/* pubmed-kb citation signals: on a paper page, the line "Cited N times · RCR x (NIH
 * percentile p) · iCite, date" made from custom.signals of the paper's cite.json (written by
 * the build from state/citations.jsonl). The signals change every few weeks; kept out of
 * the page's HTML, they cost no page render and no search re-index. */
(function () {
  "use strict";

  // The words this script shows, in the site's languages.
  var WORDS = {
    en: {
      cited: "Cited {n} times", cited_one: "Cited once", cited_none: "Not cited yet",
      clinical: "{n} by clinical articles", rcr: "Relative Citation Ratio {r}",
      percentile: "NIH percentile {p}", provisional: "provisional", source: "iCite, {date}",
      unknown: "iCite has no record of this paper yet ({date})",
      kb_cites: "Cites {n} papers in this knowledge base", kb_cites_one: "Cites 1 paper in this knowledge base",
      kb_cited_by: "Cited by {n} papers in this knowledge base", kb_cited_by_one: "Cited by 1 paper in this knowledge base",
      unavailable: "Citation signals: not available (this knowledge base was not harvested with iCite)"
    },
    ko: {
      cited: "인용 {n}회", cited_one: "인용 1회", cited_none: "아직 인용 없음",
      clinical: "임상 논문 인용 {n}회", rcr: "상대 인용 비율(RCR) {r}",
      percentile: "NIH 백분위 {p}", provisional: "잠정", source: "iCite, {date}",
      unknown: "iCite에 아직 이 논문의 기록이 없습니다 ({date})",
      kb_cites: "이 지식 베이스의 논문 {n}편을 인용", kb_cites_one: "이 지식 베이스의 논문 1편을 인용",
      kb_cited_by: "이 지식 베이스의 논문 {n}편이 인용", kb_cited_by_one: "이 지식 베이스의 논문 1편이 인용",
      unavailable: "인용 지표: 없음 (이 지식 베이스는 iCite 없이 수집되었습니다)"
    }
  };

  function words() {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return String(values[k]); });
  }

  function parts(s, w) {
    var out = [];
    var n = s.citations || 0;
    out.push(n === 0 ? w.cited_none : n === 1 ? w.cited_one : fill(w.cited, { n: n }));
    if (s.clinical) out.push(fill(w.clinical, { n: s.clinical }));
    if (s.rcr !== undefined && s.rcr !== null) {
      var rcr = fill(w.rcr, { r: Number(s.rcr).toFixed(2) });
      if (s.percentile !== undefined && s.percentile !== null) {
        rcr += " (" + fill(w.percentile, { p: Number(s.percentile).toFixed(1) }) + ")";
      }
      if (s.provisional) rcr += ", " + w.provisional;
      out.push(rcr);
    }
    return out;
  }

  // "Cites N papers in this knowledge base" as a disclosure listing them, each link named by
  // its paper's title (from its cite.json) once the list is opened.
  function graphList(pmids, many, one) {
    var details = document.createElement("details");
    details.className = "kb-signals__graph";
    var summary = document.createElement("summary");
    summary.textContent = pmids.length === 1 ? one : fill(many, { n: pmids.length });
    details.appendChild(summary);
    var list = document.createElement("ul");
    pmids.forEach(function (pmid) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "../" + encodeURIComponent(pmid) + "/";
      a.textContent = "PMID " + pmid;
      a.dataset.kbPmid = pmid;
      li.appendChild(a);
      list.appendChild(li);
    });
    details.appendChild(list);
    details.addEventListener("toggle", function () {
      if (!details.open || details.dataset.kbNamed) return;
      details.dataset.kbNamed = "1";
      list.querySelectorAll("a[data-kb-pmid]").forEach(function (a) {
        fetch("../" + a.dataset.kbPmid + "/cite.json").then(function (r) {
          return r.ok ? r.json() : null;
        }).then(function (item) {
          if (item && item.title) a.textContent = item.title;
        }).catch(function () { /* the PMID stays */ });
      });
    });
    return details;
  }

  function show(box) {
    if (box.dataset.kbDone) return;
    box.dataset.kbDone = "1";
    var w = words();
    fetch("cite.json").then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (item) {
      var s = (item.custom || {}).signals;
      box.textContent = "";
      if (!s) {
        box.textContent = w.unavailable;
      } else if (s.unknown && s.citations === undefined) {
        box.textContent = fill(w.unknown, { date: s.taken });
      } else {
        box.appendChild(document.createTextNode(parts(s, w).join(" · ") + " · "));
        var a = document.createElement("a");
        a.href = "https://icite.od.nih.gov/api/pubs/" + encodeURIComponent(box.dataset.kbSignals);
        a.textContent = fill(w.source, { date: s.taken });
        box.appendChild(a);
      }
      if (s && s.kb_cites) box.appendChild(graphList(s.kb_cites, w.kb_cites, w.kb_cites_one));
      if (s && s.kb_cited_by) {
        box.appendChild(graphList(s.kb_cited_by, w.kb_cited_by, w.kb_cited_by_one));
      }
      box.hidden = false;
    }).catch(function () { /* the page reads the same without them */ });
  }

  function run() { document.querySelectorAll("[data-kb-signals]").forEach(show); }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(run);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
