"""Render `hurrinet web` in Debian's headless Chromium to PNG (run on demand).

    python screenshots/render_web.py

Starts a real server (fresh database, Saint Lucia reference data, one dispatcher) and the web
gateway in front of it, as tests/integration/test_web_browser.py does, then saves the sign-in
after a mistyped token and the board after an incident typed in the browser.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from playwright.async_api import async_playwright  # noqa: E402

from tests.support.web import Screen, launch, web_stack  # noqa: E402


async def render() -> None:
    with tempfile.TemporaryDirectory(prefix="hurrinet-web-") as directory:
        async with web_stack(Path(directory)) as stack, async_playwright() as p:
            browser = await launch(p)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            screen = Screen()
            screen.watch(page)
            await page.goto(stack.web_url + "/")
            await screen.shows("sign in")
            await page.click("#terminal")
            await page.keyboard.type("a-mistyped-token")
            await page.keyboard.press("Enter")
            await screen.shows("refused this token")
            await asyncio.sleep(0.5)
            await page.screenshot(path=HERE / "web-sign-in.png")
            mark = screen.mark()
            await page.keyboard.type(stack.token)
            await page.keyboard.press("Enter")
            await screen.shows("Connected", mark)
            await page.keyboard.type(":")
            await page.keyboard.type("ni flood a @ castries market // water rising, typed at the EOC")
            await page.keyboard.press("Enter")
            await screen.shows("water rising")
            await asyncio.sleep(1.0)
            await page.screenshot(path=HERE / "web-board.png")
            await browser.close()


if __name__ == "__main__":
    asyncio.run(render())
