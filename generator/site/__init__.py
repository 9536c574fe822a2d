"""What is built from the knowledge base: grouping and index pages, citation exports,
feeds, charts, the status page, the search index, the MkDocs plugin and theme, the link
check and the site's byte budget."""
