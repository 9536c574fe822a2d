/* pubmed-kb citations: BibTeX, RIS and CSL-JSON made in the browser from each paper's
 * cite.json (its CSL-JSON item; MEDLINE fields under "custom"), for one paper or every
 * paper of a list. A port of generator/site/exports.py, which stays the reference: the tests
 * check that both give the same bytes. window.kbCite exposes the renderers. */
(function () {
  "use strict";

  // The words this script shows; "retracted" must be generator/utils/i18n.py's retracted_title
  // (it goes into BibTeX notes and RIS N1 exactly as the Python renderers write it).
  // The words this script shows, as generator/utils/i18n.py has them (a test compares them).
  var WORDS = {
    en: {
      retracted: "Retracted publication", cite: "Cite", download_all: "Download all",
      bibtex: "BibTeX", ris: "RIS", csl_json: "CSL-JSON",
      download_bibtex: "Download as BibTeX (LaTeX, JabRef, Zotero)",
      download_ris: "Download as RIS (EndNote, Zotero, Mendeley)",
      download_csl_json: "Download as CSL-JSON (Zotero, Pandoc)",
      progress: "Gathering citations: {n} / {total}", failed: "Download failed"
    },
    ko: {
      retracted: "철회된 논문", cite: "인용", download_all: "전체 내려받기",
      bibtex: "BibTeX", ris: "RIS", csl_json: "CSL-JSON",
      download_bibtex: "BibTeX로 내려받기 (LaTeX, JabRef, Zotero)",
      download_ris: "RIS로 내려받기 (EndNote, Zotero, Mendeley)",
      download_csl_json: "CSL-JSON으로 내려받기 (Zotero, Pandoc)",
      progress: "인용 정보 모으는 중: {n} / {total}", failed: "내려받기 실패"
    }
  };

  function words() {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }

  var MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
  var SPECIAL = {
    "\\": "\\textbackslash{}", "%": "\\%", "&": "\\&", "$": "\\$", "#": "\\#",
    "_": "\\_", "^": "\\textasciicircum{}", "~": "\\textasciitilde{}"
  };
  var BRACES = { "{": "\\{", "}": "\\}" };
  var BRACES_UNBALANCED = { "{": "\\textbraceleft{}", "}": "\\textbraceright{}" };
  var AND = /(^|\s)and(\s|$)/i;
  var EDGE_PUNCT = /^([(\["'“‘]*)([\s\S]*?)([)\]"'”’.,;:!?]*)$/;
  var UPPER = /\p{Uppercase}/u;
  var DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;
  var RANGE = /^\s*(\S+?)\s*[-–—]\s*(\S+?)\s*$/;

  function text(v) { return v === undefined || v === null ? "" : String(v); }

  function balanced(t) {
    var depth = 0;
    for (var i = 0; i < t.length; i++) {
      var c = t[i];
      if (c === "{" || c === "}") {
        depth += c === "{" ? 1 : -1;
        if (depth < 0) return false;
      }
    }
    return depth === 0;
  }

  function bibEscape(v, bal) {
    var t = text(v);
    if (bal === undefined) bal = balanced(t);
    var braces = bal ? BRACES : BRACES_UNBALANCED;
    var out = "";
    for (var i = 0; i < t.length; i++) {
      var c = t[i];
      out += SPECIAL[c] || braces[c] || c;
    }
    return out;
  }

  function bibVerbatim(v) {
    return text(v).replace(/\{/g, "%7B").replace(/\}/g, "%7D").replace(/\\/g, "%5C");
  }

  function bibTitle(v) {
    var title = text(v);
    var bal = balanced(title);
    var first = true;
    return title.split(/(\s+)/).map(function (token) {
      if (!token || /^\s+$/.test(token)) return token;
      var m = EDGE_PUNCT.exec(token);
      var core = m[2];
      var rest = first ? Array.from(core).slice(1).join("") : core;
      first = false;
      if (UPPER.test(rest) && core.indexOf("{") < 0 && core.indexOf("}") < 0) {
        return bibEscape(m[1], bal) + "{" + bibEscape(core, bal) + "}" + bibEscape(m[3], bal);
      }
      return bibEscape(token, bal);
    }).join("");
  }

  function splits(t) { return t.indexOf(",") >= 0 || AND.test(t); }
  function bibPart(t, brace) { var e = bibEscape(t); return brace ? "{" + e + "}" : e; }

  function bibName(n) {
    if (n.literal) return "{" + bibEscape(n.literal) + "}";
    var family = text(n.family), given = text(n.given), suffix = text(n.suffix);
    var fam = bibPart(family, splits(family) || (family.indexOf(" ") >= 0 && !given));
    if (suffix) return fam + ", " + bibPart(suffix, splits(suffix)) + ", " + bibPart(given, splits(given));
    return given ? fam + ", " + bibPart(given, splits(given)) : fam;
  }

  function expandLastPage(first, last) {
    if (/^\d+$/.test(last) && last.length < first.length &&
        /^\d+$/.test(first.slice(first.length - last.length))) {
      return first.slice(0, first.length - last.length) + last;
    }
    return last;
  }

  function pageRanges(pages) {
    var out = [];
    text(pages).split(/[,;]/).forEach(function (part) {
      part = part.trim();
      if (!part) return;
      var m = RANGE.exec(part);
      out.push(m ? [m[1], expandLastPage(m[1], m[2])] : [part, null]);
    });
    return out;
  }

  function joinedPages(pages, dash) {
    return pageRanges(pages).map(function (r) { return r[0] + (r[1] ? dash + r[1] : ""); }).join(", ");
  }

  function firstLastPage(pages) {
    var r = pageRanges(pages);
    if (!r.length) return [null, null];
    var last = r[r.length - 1][1] || (r.length > 1 ? r[r.length - 1][0] : null);
    return [r[0][0], last];
  }

  function custom(item) { return item.custom || {}; }

  function issued(item) {
    var parts = item.issued && item.issued["date-parts"] && item.issued["date-parts"][0];
    return parts || [];
  }

  function dateParts(item) {
    var m = DATE.exec(text(custom(item).pub_date));
    return m ? m.slice(1).filter(Boolean).map(Number) : [];
  }

  function isBook(item) { return item.type === "book"; }

  function bibtex(item, retractedLabel) {
    var fields = [];
    function add(name, value, raw) { if (value) fields.push([name, raw ? value : "{" + value + "}"]); }
    add("author", (item.author || []).map(bibName).join(" and "));
    add("title", bibTitle(item.title));
    add(isBook(item) ? "publisher" : "journal",
        bibEscape(isBook(item) ? item.publisher : item["container-title"]));
    var year = issued(item)[0];
    var parts = dateParts(item);
    add("year", year ? String(year) : "");
    if (parts.length >= 2 && parts[1] >= 1 && parts[1] <= 12) add("month", MONTHS[parts[1] - 1], true);
    add("volume", bibEscape(item.volume));
    add("number", bibEscape(item.issue));
    add("pages", bibEscape(joinedPages(custom(item).pages, "--")));
    add("doi", bibVerbatim(item.DOI));
    add("pmid", bibEscape(item.PMID));
    add("pmcid", bibEscape(item.PMCID));
    add("url", bibVerbatim(item.URL));
    add("keywords", bibEscape((custom(item).keywords || []).join(", ")));
    add("language", bibEscape((custom(item).languages || []).join(", ")));
    if (item.status === "retracted") add("note", bibEscape(retractedLabel));
    var body = fields.map(function (f) { return "  " + f[0] + " = " + f[1]; }).join(",\n");
    return "@" + (isBook(item) ? "book" : "article") + "{" + item.id + ",\n" + body + "\n}\n";
  }

  function risLines(item, retractedLabel) {
    var lines = [["TY", isBook(item) ? "BOOK" : "JOUR"]];
    function put(tag, value) {
      if (Array.isArray(value)) value.forEach(function (v) { lines.push([tag, v]); });
      else if (value) lines.push([tag, value]);
    }
    put("ID", item.id);
    put("TI", item.title);
    put("AU", (item.author || []).map(function (n) {
      if (n.literal) return n.literal;
      return [n.family, n.given, n.suffix].filter(Boolean).join(", ");
    }).filter(Boolean));
    put("T2", isBook(item) ? item.publisher : item["container-title"]);
    put("J2", isBook(item) ? custom(item).journal_iso : item["container-title-short"]);
    put("VL", item.volume);
    put("IS", item.issue);
    var fl = firstLastPage(custom(item).pages);
    put("SP", fl[0]);
    put("EP", fl[1]);
    var year = issued(item)[0];
    put("PY", year ? String(year) : "");
    var parts = dateParts(item);
    if (parts.length) {
      put("DA", parts.map(function (p, i) { return i && p < 10 ? "0" + p : String(p); }).join("/"));
    }
    put("DO", item.DOI);
    put("UR", item.URL ? [item.URL] : []);
    put("AN", item.PMID);
    put("C2", item.PMCID);
    put("DB", "PubMed");
    put("KW", custom(item).keywords || []);
    put("LA", (custom(item).languages || []).join(", "));
    if (item.status === "retracted") put("N1", [retractedLabel]);
    lines.push(["ER", ""]);
    return lines.map(function (l) { return l[0] + "  - " + l[1]; });
  }

  function cslItem(item) {
    var copy = {};
    Object.keys(item).forEach(function (k) { if (k !== "custom") copy[k] = item[k]; });
    return copy;
  }

  function byKey(items) {
    return items.slice().sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; });
  }

  var render = {
    bib: function (items, label) {
      return byKey(items).map(function (i) { return bibtex(i, label); }).join("\n");
    },
    ris: function (items, label) {
      if (!items.length) return "";
      var lines = [];
      byKey(items).forEach(function (item, i) {
        if (i) lines.push("");
        lines = lines.concat(risLines(item, label));
      });
      return lines.join("\n") + "\n";
    },
    json: function (items) {
      return JSON.stringify(byKey(items).map(cslItem), null, 2) + "\n";
    }
  };
  var MIME = {
    bib: "application/x-bibtex", ris: "application/x-research-info-systems",
    json: "application/vnd.citationstyles.csl+json"
  };

  window.kbCite = { render: render, bibtex: bibtex, pageRanges: pageRanges, WORDS: WORDS };

  // ------------------------------------------------------------------ the buttons

  function save(textOut, name, fmt) {
    var url = URL.createObjectURL(new Blob([textOut], { type: MIME[fmt] + ";charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function getJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  // Every paper page a list links to, following its pager ("next") to the last page.
  function listPapers(start) {
    var seen = {}, papers = [];
    function collect(doc, base) {
      doc.querySelectorAll("article li a[href]").forEach(function (a) {
        var url = new URL(a.getAttribute("href"), base);
        if (/\/papers\/\d+\/$/.test(url.pathname) && !seen[url.href]) {
          seen[url.href] = true;
          papers.push(url.href);
        }
      });
      var next = doc.querySelector("article .kb-pager a[rel=next]");
      return next ? new URL(next.getAttribute("href"), base).href : null;
    }
    function step(doc, base) {
      var next = collect(doc, base);
      if (!next) return Promise.resolve(papers);
      return fetch(next).then(function (r) {
        if (!r.ok) throw new Error(next + ": HTTP " + r.status);
        return r.text();
      }).then(function (html) {
        return step(new DOMParser().parseFromString(html, "text/html"), next);
      });
    }
    var first = new URL(start, location.href).href;
    if (first === location.href) return step(document, first);
    return fetch(first).then(function (r) {
      if (!r.ok) throw new Error(first + ": HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      return step(new DOMParser().parseFromString(html, "text/html"), first);
    });
  }

  // cite.json of every paper, a few requests at a time, in the order given.
  function fetchAll(pageUrls, progress) {
    var out = new Array(pageUrls.length), next = 0, done = 0;
    function worker() {
      if (next >= pageUrls.length) return Promise.resolve();
      var i = next++;
      return getJSON(pageUrls[i] + "cite.json").then(function (item) {
        out[i] = item;
        progress(++done, pageUrls.length);
        return worker();
      });
    }
    var workers = [];
    for (var w = 0; w < Math.min(6, pageUrls.length); w++) workers.push(worker());
    return Promise.all(workers).then(function () { return out; });
  }

  function onClick(ev) {
    var button = ev.target.closest("[data-kb-format]");
    var box = button && button.closest("[data-kb-cite]");
    if (!box) return;
    ev.preventDefault();
    var fmt = button.dataset.kbFormat;
    var w = words();
    var status = box.querySelector(".kb-downloads__status");
    function say(msg) { if (status) status.textContent = msg; }
    var items;
    if (box.dataset.kbCite === "list") {
      items = listPapers(box.dataset.kbFirst || "./").then(function (pages) {
        return fetchAll(pages, function (n, total) {
          say(w.progress.replace("{n}", n).replace("{total}", total));
        });
      });
    } else {
      items = getJSON(new URL(box.dataset.kbCite, location.href).href).then(function (i) { return [i]; });
    }
    button.disabled = true;
    items.then(function (list) {
      save(render[fmt](list, w.retracted), box.dataset.kbName + "." + fmt, fmt);
      say("");
    }).catch(function (err) {
      say(w.failed + ": " + err.message);
    }).then(function () { button.disabled = false; });
  }

  // The buttons: a row per [data-kb-cite] marker the page carries.
  var BUTTONS = [["bib", "bibtex", "download_bibtex"], ["ris", "ris", "download_ris"],
                 ["json", "csl_json", "download_csl_json"]];

  function buttons() {
    var w = words();
    document.querySelectorAll("[data-kb-cite]").forEach(function (box) {
      if (box.dataset.kbReady) return;
      box.dataset.kbReady = "1";
      var head = box.firstChild;
      var label = document.createElement("span");
      label.className = "kb-downloads__label";
      label.textContent = (box.dataset.kbKind === "list" ? w.download_all : w.cite) + ":";
      box.insertBefore(label, head);
      BUTTONS.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "md-button kb-downloads__button";
        button.dataset.kbFormat = b[0];
        button.title = w[b[2]];
        button.textContent = w[b[1]];
        box.insertBefore(button, head);
      });
      var status = document.createElement("span");
      status.className = "kb-downloads__status";
      status.setAttribute("role", "status");
      box.appendChild(status);
    });
  }

  document.addEventListener("click", onClick);
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(buttons);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", buttons);
  else buttons();
})();

/* pubmed-kb citation signals and similar papers: on a paper page, the line "Cited N times ·
 * RCR x (NIH percentile p) · iCite, date" and the papers of this knowledge base it cites and
 * that cite it, made from custom.signals of the paper's cite.json (written by the build from
 * state/citations.jsonl); and, at the end of the page, the papers here most like it
 * (custom.similar, generator/kb/similar.py). Both change as the knowledge base grows; kept out
 * of the page's HTML, they cost no page render, no search re-index and no byte per page. */
(function () {
  "use strict";

  // The words this script shows, in the site's languages.
  var SIGNAL_WORDS = {
    en: {
      cited: "Cited {n} times", cited_one: "Cited once", cited_none: "Not cited yet",
      clinical: "{n} by clinical articles", rcr: "Relative Citation Ratio {r}",
      percentile: "NIH percentile {p}", provisional: "provisional", source: "iCite, {date}",
      unknown: "iCite has no record of this paper yet ({date})",
      kb_cites: "Cites {n} papers in this knowledge base", kb_cites_one: "Cites 1 paper in this knowledge base",
      kb_cited_by: "Cited by {n} papers in this knowledge base", kb_cited_by_one: "Cited by 1 paper in this knowledge base",
      unavailable: "Citation signals: not available (this knowledge base was not harvested with iCite)",
      similar: "Similar papers in this knowledge base"
    },
    ko: {
      cited: "인용 {n}회", cited_one: "인용 1회", cited_none: "아직 인용 없음",
      clinical: "임상 논문 인용 {n}회", rcr: "상대 인용 비율(RCR) {r}",
      percentile: "NIH 백분위 {p}", provisional: "잠정", source: "iCite, {date}",
      unknown: "iCite에 아직 이 논문의 기록이 없습니다 ({date})",
      kb_cites: "이 지식 베이스의 논문 {n}편을 인용", kb_cites_one: "이 지식 베이스의 논문 1편을 인용",
      kb_cited_by: "이 지식 베이스의 논문 {n}편이 인용", kb_cited_by_one: "이 지식 베이스의 논문 1편이 인용",
      unavailable: "인용 지표: 없음 (이 지식 베이스는 iCite 없이 수집되었습니다)",
      similar: "이 지식 베이스의 비슷한 논문"
    }
  };

  function signalWords() {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return SIGNAL_WORDS[lang] || SIGNAL_WORDS.en;
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

  // A link to a paper of this knowledge base, named "PMID n" until named by its title.
  function paperLink(pmid) {
    var a = document.createElement("a");
    a.href = "../" + encodeURIComponent(pmid) + "/";
    a.textContent = "PMID " + pmid;
    a.dataset.kbPmid = pmid;
    return a;
  }

  // Name each link of ``list`` by its paper's title (from its cite.json), and its year.
  function nameLinks(list) {
    list.querySelectorAll("a[data-kb-pmid]").forEach(function (a) {
      fetch("../" + a.dataset.kbPmid + "/cite.json").then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (item) {
        if (!item || !item.title) return;
        a.textContent = item.title;
        var year = (((item.issued || {})["date-parts"] || [[]])[0] || [])[0];
        if (year) a.parentNode.appendChild(document.createTextNode(" · " + year));
      }).catch(function () { /* the PMID stays */ });
    });
  }

  function linkList(pmids) {
    var list = document.createElement("ul");
    pmids.forEach(function (pmid) {
      var li = document.createElement("li");
      li.appendChild(paperLink(pmid));
      list.appendChild(li);
    });
    return list;
  }

  // "Cites N papers in this knowledge base" as a disclosure listing them, each link named by
  // its paper's title (from its cite.json) once the list is opened.
  function graphList(pmids, many, one) {
    var details = document.createElement("details");
    details.className = "kb-signals__graph";
    var summary = document.createElement("summary");
    summary.textContent = pmids.length === 1 ? one : fill(many, { n: pmids.length });
    details.appendChild(summary);
    var list = linkList(pmids);
    details.appendChild(list);
    details.addEventListener("toggle", function () {
      if (!details.open || details.dataset.kbNamed) return;
      details.dataset.kbNamed = "1";
      nameLinks(list);
    });
    return details;
  }

  // "Similar papers in this knowledge base": a section at the end of the page.
  function similarSection(pmids, w) {
    var section = document.createElement("section");
    section.className = "kb-similar";
    section.setAttribute("aria-labelledby", "kb-similar");
    var h = document.createElement("h2");
    h.id = "kb-similar";
    h.textContent = w.similar;
    section.appendChild(h);
    var list = linkList(pmids);
    section.appendChild(list);
    nameLinks(list);
    return section;
  }

  // The paper page's PMID, from its address (…/papers/<pmid>/).
  function pmidOfPage() {
    var m = /\/papers\/(\d+)\/?(?:index\.html)?$/.exec(location.pathname);
    return m ? m[1] : "";
  }

  function show(row) {
    if (row.dataset.kbDone) return;
    row.dataset.kbDone = "1";
    var w = signalWords();
    var box = document.createElement("div");
    box.className = "kb-signals";
    box.dataset.kbSignals = "";
    box.hidden = true;
    row.parentNode.insertBefore(box, row.nextSibling);
    fetch("cite.json").then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (item) {
      var s = (item.custom || {}).signals;
      if (!s) {
        box.textContent = w.unavailable;
      } else if (s.unknown && s.citations === undefined) {
        box.textContent = fill(w.unknown, { date: s.taken });
      } else {
        box.appendChild(document.createTextNode(parts(s, w).join(" · ") + " · "));
        var a = document.createElement("a");
        a.href = "https://icite.od.nih.gov/api/pubs/" + encodeURIComponent(item.PMID || pmidOfPage());
        a.textContent = fill(w.source, { date: s.taken });
        box.appendChild(a);
      }
      if (s && s.kb_cites) box.appendChild(graphList(s.kb_cites, w.kb_cites, w.kb_cites_one));
      if (s && s.kb_cited_by) {
        box.appendChild(graphList(s.kb_cited_by, w.kb_cited_by, w.kb_cited_by_one));
      }
      box.hidden = false;
      var similar = (item.custom || {}).similar;
      var article = row.closest("article") || document.querySelector("article");
      if (similar && similar.length && article && !article.querySelector(".kb-similar")) {
        article.appendChild(similarSection(similar, w));
      }
    }).catch(function () { /* the page reads the same without them */ });
  }

  // The paper page's Cite row (data-kb-kind="cite"): the signals go after it.
  function run() { document.querySelectorAll('[data-kb-cite][data-kb-kind="cite"]').forEach(show); }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(run);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
