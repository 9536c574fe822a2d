"""The knowledge base on disk: paper pages and what is derived per paper (scores,
summaries, citation signals, similar papers), the state of harvests, and the steps that
write them (ingest, harvest, page-format upgrades)."""
