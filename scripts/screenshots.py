"""Take the README's screenshots of the demo site in headless Chromium.

    .venv/bin/python scripts/screenshots.py          # → docs/screenshot.png, docs/search.png

Builds the demo (the embedded sample, offline) in a temporary folder, serves it on
127.0.0.1 and photographs the landing page, a paper page on a phone, and the search
dialog with a query, at fixed sizes so that a re-run after a change shows only the change.
"""

from __future__ import annotations

import functools
import shutil
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator import pipeline  # noqa: E402
from generator.config.load import load_config  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("kb.yml", "mkdocs.yml"):  # mkdocs.yml names the installed plugin
            shutil.copy(REPO / name, folder / name)
        config = load_config(folder / "kb.yml")
        _, build = pipeline.demo(config, folder / "site")
        handler = functools.partial(_Quiet, directory=str(build.site_dir))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(REPO / "docs" / "screenshot.png"))
            page.keyboard.press("/")
            page.fill("#kb-search-input", "exosomes")
            page.wait_for_selector(".kb-search__title", timeout=15_000)
            page.screenshot(path=str(REPO / "docs" / "search.png"))
            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            phone.goto(url + "papers/40623177/")
            phone.wait_for_load_state("networkidle")
            phone.screenshot(path=str(REPO / "docs" / "paper-phone.png"))
            browser.close()
        server.shutdown()
    print("docs/screenshot.png, docs/search.png, docs/paper-phone.png")


if __name__ == "__main__":
    main()
