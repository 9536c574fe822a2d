/* pubmed-kb search: Pagefind's UI in a dialog opened from the header.
 * Loaded on every page; it downloads nothing until the dialog first opens, then only
 * the Pagefind UI and the index chunks a query needs. Works with Material's instant
 * navigation (listeners sit on the document, which survives page switches). */
(function () {
  "use strict";
  var ui = null;
  var loading = null;

  // The header holds only the buttons that open the search (and, on the box, the search
  // index's location and the dialog's words); the dialog is made on first use, so that it
  // costs no bytes on the pages nobody searches from.
  function dialog(create) {
    var el = document.getElementById("kb-search-dialog");
    if (el || !create) return el;
    var box = document.querySelector("[data-kb-search]");
    if (!box) return null;
    el = document.createElement("div");
    el.id = "kb-search-dialog";
    el.className = "kb-search__dialog";
    el.setAttribute("role", "dialog");
    el.setAttribute("aria-modal", "true");
    el.setAttribute("aria-label", box.dataset.label);
    el.hidden = true;
    el.dataset.bundle = box.dataset.bundle;
    el.dataset.root = box.dataset.root;
    el.innerHTML = '<div class="kb-search__backdrop" data-kb-search-close></div>' +
      '<div class="kb-search__panel"><button type="button" class="kb-search__close md-icon" ' +
      'data-kb-search-close><span class="kb-i kb-i--material-close" aria-hidden="true">' +
      '</span></button><div id="kb-search-ui"></div></div>';
    el.querySelector(".kb-search__close").setAttribute("aria-label", box.dataset.close);
    document.body.appendChild(el);
    return el;
  }

  // The index is in shards (generator/search_index.py) searched together: the first is
  // Pagefind's primary index, the others are merged into it (Pagefind's mergeIndex).
  function shards(bundle) {
    return fetch(bundle + "shards.json").then(function (r) {
      if (!r.ok) throw new Error("could not load " + bundle + "shards.json (" + r.status + ")");
      return r.json();
    }).then(function (m) {
      if (!m.shards || !m.shards.length) throw new Error("the search index is empty");
      return m.shards.map(function (s) { return bundle + s; });
    });
  }

  function load(el) {
    if (loading) return loading;
    var bundle = new URL(el.dataset.bundle, location.href).href;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = bundle + "pagefind-ui.css";
    document.head.appendChild(css);
    var script = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = bundle + "pagefind-ui.js";
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + s.src)); };
      document.head.appendChild(s);
    });
    loading = Promise.all([shards(bundle), script]).then(function (got) {
      var parts = got[0];
      var root = new URL(el.dataset.root, location.href);
      ui = new PagefindUI({
        element: "#kb-search-ui",
        bundlePath: bundle,
        basePath: parts[0],
        mergeIndex: parts.slice(1).map(function (p) { return { bundlePath: p }; }),
        baseUrl: root.pathname,
        showSubResults: false,
        showImages: false,
        excerptLength: 30,
        resetStyles: false,
        autofocus: true,
        highlightParam: "highlight",
        processResult: function (result) {
          // Journal and year show as Pagefind's metadata chips; a retraction must show first.
          var m = result.meta || {};
          if (m.retracted) m.title = "⚠ RETRACTED · " + (m.title || "");
          delete m.retracted;
          return result;
        }
      });
    });
    return loading;
  }

  function focusInput() {
    var input = document.querySelector("#kb-search-ui input");
    if (input) { input.focus(); input.select(); }
  }

  function open() {
    var el = dialog(true);
    if (!el) return;
    el.hidden = false;
    document.documentElement.classList.add("kb-search--open");
    load(el).then(focusInput, function (err) {
      document.getElementById("kb-search-ui").textContent =
        "Search is unavailable here (" + err.message + "). It needs the site served over http(s).";
    });
    focusInput();
  }

  function close() {
    var el = dialog();
    if (!el || el.hidden) return;
    el.hidden = true;
    document.documentElement.classList.remove("kb-search--open");
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("click", function (ev) {
    if (ev.target.closest("[data-kb-search-open]")) { ev.preventDefault(); open(); return; }
    if (ev.target.closest("[data-kb-search-close]")) { close(); return; }
    if (ev.target.closest("#kb-search-ui a")) { close(); }
  });

  document.addEventListener("keydown", function (ev) {
    var el = dialog();
    if (el && !el.hidden) {
      if (ev.key === "Escape") { ev.preventDefault(); close(); }
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
    var box = document.querySelector("[data-kb-search]");
    if (!box) return;
    var bundle = new URL(box.dataset.bundle, location.href).href;
    import(bundle + "pagefind-highlight.js").then(function () {
      new PagefindHighlight({ highlightParam: "highlight" });
    }).catch(function () { /* highlighting is a nicety */ });
  }
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(function () { close(); highlight(); });
  } else {
    highlight();
  }
})();
