"""What every layer uses: errors, atomic writes, the clock, HTTP sessions, slugs, Markdown
escaping, the site's words in each language, journal and language names."""
