"""What the browser tests share: Debian's Chromium driven by Playwright (never a browser download), free ports,
and screenshots checked to be rendered pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from tests.conftest import require_path

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's package
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"


def require_chromium() -> None:
    require_path(CHROMIUM, "Chromium", " (apt-get install chromium: .ci/run does)")


@contextmanager
def browser_page(base_url: str, viewport: dict[str, int]) -> Iterator["playwright.sync_api.Page"]:  # noqa: F821
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(viewport=viewport, base_url=base_url)
        try:
            yield context.new_page()
        finally:
            browser.close()


def screenshot(page, folder: Path, name: str, *must_show: str, full_page: bool = False) -> Path:
    """Save a screenshot after checking the page shows each text; check the picture is a rendered page."""
    from PIL import Image
    from playwright.sync_api import expect

    for text in must_show:
        expect(page.get_by_text(text, exact=True).first).to_be_visible(timeout=60_000)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    with Image.open(path) as image:
        width, height = image.size
        assert (width, height) == (page.viewport_size["width"], page.viewport_size["height"]) or full_page
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50, f"{path} looks blank"
    return path
