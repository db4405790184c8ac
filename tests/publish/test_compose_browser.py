"""The composer in a real Chromium: attach an image with alt text, preview, schedule, see it.

Uses the Chromium/Playwright fixtures of ``tests/e2e/test_browser.py`` against
pytest-django's ``live_server``; a few seconds, most of them Chromium starting.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_browser import assert_no_script_ran, browser, desk, page, sign_in
from tests.publish.images import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["browser", "desk", "page"]  # fixtures used below


def test_an_image_with_alt_text_goes_from_the_composer_to_the_post(
    page: Any, desk: dict[str, Any], live_server: Any, settings: Any, tmp_path: Any
) -> None:
    from rapport.channels.services import add_channel
    from rapport.publish.models import Post

    settings.MEDIA_ROOT = tmp_path / "media"
    add_channel(workspace=desk["workspace"], kind="feed", name="Blog feed", config={}, secrets={})
    loaf = tmp_path / "loaf.png"
    loaf.write_bytes(png(90, 60))
    not_an_image = tmp_path / "cat.png"
    not_an_image.write_text("<html><script>window.__pwned = true</script></html>")

    sign_in(page, live_server.url)
    page.goto(live_server.url + "/w/acme/publish/")
    page.fill("#id_body", "Fresh **rye** today.")
    page.get_by_label("Blog feed (feed)").check()
    page.set_input_files("input[name=image_1]", str(not_an_image))  # htmx: the images' preview
    page.locator("#media-preview", has_text="is not an image Rapport can read").wait_for()
    page.get_by_role("button", name="Preview").click()  # the same without JavaScript
    page.locator("form .errorlist", has_text="is not an image Rapport can read").wait_for()

    page.set_input_files("input[name=image_1]", str(loaf))
    page.fill("textarea[name=alt_1]", "A rye loaf on a board")
    page.locator("textarea[name=alt_1]").blur()
    page.locator("#media-preview", has_text="loaf.png: A rye loaf on a board").wait_for()
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url("**/w/acme/publish/posts/*/")
    image = page.get_by_role("img", name="A rye loaf on a board")
    image.wait_for()
    loaded = page.wait_for_function(
        "(img) => img.complete && img.naturalWidth", arg=image.element_handle()
    )
    assert loaded.json_value() == 90  # served from /m/ and decoded by the browser
    post = Post.objects.get()
    assert post.deliveries.get().media[0]["alt"] == "A rye loaf on a board"
    assert_no_script_ran(page)
