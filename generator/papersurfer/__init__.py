"""The import of a Paper Surfer vault (the Obsidian notes of the script this tool descends
from) and the conversion of its ``config.py`` to ``kb.yml``."""
