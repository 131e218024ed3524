"""`hurrinet web` in a real headless Chromium (Debian's, driven by Playwright): the page loads
with nothing from outside, it opens on the sign-in, a bad token is refused, a good one opens the
board, and a command typed in the browser reaches the server (read back by a client of its own).
The server and the gateway are subprocesses on free loopback ports; every step has a timeout."""

from __future__ import annotations

import asyncio

from playwright.async_api import async_playwright

from tests.support.client import Client
from tests.support.web import Screen, launch, web_stack

WHOLE_TEST_S = 90.0
DESCRIPTION = "typed in a browser at the EOC"


async def incidents_described(port: int, token: str, description: str) -> list[dict]:
    client = await Client.open(port, token)
    try:
        return [i for i in client.welcome["snapshot"]["incidents"] if i.get("description") == description]
    finally:
        await client.connection.close()


async def test_the_browser_signs_in_and_a_typed_command_reaches_the_server(template_db, tmp_path):
    async with asyncio.timeout(WHOLE_TEST_S), web_stack(tmp_path, template_db) as stack, async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(20_000)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        screen = Screen()
        screen.watch(page)
        try:
            await page.goto(stack.web_url + "/")
            await page.wait_for_selector("body.-first-byte")  # the page's script got the app's first bytes
            await screen.shows("sign in")
            # Everything the page needed came from the gateway itself: it works without internet.
            assert requested and all(url.startswith(stack.web_url + "/") for url in requested), requested
            # The font the terminal asks for loads from the copy the package ships.
            assert await page.evaluate("document.fonts.load('16px \"Roboto Mono\"').then(faces => faces.length)") > 0

            await page.click("#terminal")
            mark = screen.mark()
            await page.keyboard.type("not-a-token")
            await page.keyboard.press("Enter")
            await screen.shows("refused this token", mark)
            assert "not-a-token" not in screen.text  # a password field: never sent back to the page
            assert await incidents_described(stack.server_port, stack.token, DESCRIPTION) == []

            mark = screen.mark()
            await page.keyboard.type(stack.token)
            await page.keyboard.press("Enter")
            await screen.shows("Connected", mark)
            assert stack.token not in screen.text

            await page.keyboard.type(":")
            await asyncio.sleep(0.5)  # the command line takes the focus on the app's next turn
            await page.keyboard.type(f"ni flood a // {DESCRIPTION}", delay=10)
            await page.keyboard.press("Enter")
            async with asyncio.timeout(20):
                while not (found := await incidents_described(stack.server_port, stack.token, DESCRIPTION)):
                    await asyncio.sleep(0.2)
            assert found[0]["incident_type"] == "FLOOD" and found[0]["incident_priority"] == "A"
            await screen.shows(DESCRIPTION[:20])  # and the board in the browser shows it
        except BaseException:
            print("The page had been sent, at the end:\n", screen.text[-3000:])  # shown by pytest on failure
            await page.screenshot(path=tmp_path / "failed.png")
            raise
        finally:
            await browser.close()
    # Typed in the page, held in memory: in no file the gateway or a session wrote, nor its output.
    assert "textual.js" in stack.gateway_log.read_text()  # it does log there (its access log)
    assert stack.files_holding(stack.token) == [] and stack.files_holding("not-a-token") == []
