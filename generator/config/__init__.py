"""``kb.yml``: the user's topics, keyword rules and site settings, read and checked."""
