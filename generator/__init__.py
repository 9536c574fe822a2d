"""A static knowledge-base site generator for the biomedical literature.

The folders are the layers of the pipeline, in the order data flows through them
(config → query → fetch → parse → score/enrich → store → group/index → site):

- ``utils/``: what every layer uses (errors, atomic writes, the clock, HTTP sessions,
  slugs, Markdown escaping, the site's words in each language, journal and language names);
- ``config/``: ``kb.yml``, read and checked;
- ``pubmed/``: the remote sources (E-utilities search and fetch, NIH iCite) and the
  PubMed XML parser with its models;
- ``kb/``: the knowledge base on disk: paper pages, scores and summaries, the state,
  the catalog of pages, citation signals, similar papers, ingest and harvest;
- ``site/``: what is built from it: grouping and index pages, exports, feeds, charts, the
  status page, the search index, the MkDocs plugin and theme, link check, the site budget;
- ``papersurfer/``: the import of an old Paper Surfer vault and its ``config.py``;
- at the top: ``cli`` and ``pipeline`` (one function per command), ``scaffold`` (``init``)
  and the embedded ``sample``.

Imports only point down the layers (``utils`` < ``config`` < ``pubmed`` < ``kb`` <
``site``, ``papersurfer`` < the top) or within a folder; ``site`` and ``papersurfer``
do not import each other. ``tests/test_layers.py`` checks it.
"""
