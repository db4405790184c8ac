"""The docs are executable: the guide's example plugin must work, every hook is documented."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import httpx

from rapport import hookspecs
from rapport.channels.records import ItemRecord, ReplyTarget, SkippedRecord

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _example_module() -> types.ModuleType:
    text = (DOCS / "channels.md").read_text()
    code = re.search(r"```python\n# rapport_guestbook.py\n(.*?)```", text, re.S)
    assert code, "docs/channels.md lost its complete example plugin"
    module = types.ModuleType("rapport_guestbook")
    exec(compile(code.group(1), "docs/channels.md", "exec"), module.__dict__)
    return module


def test_every_hook_is_documented():
    text = (DOCS / "channels.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("register_")]
    assert hooks
    for name in hooks:
        assert f"`{name}(" in text, f"{name} is missing from docs/channels.md"


def test_guide_example_plugin_fetches_and_replies():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": 7,
                        "name": "Ana",
                        "message": "Open Sundays?",
                        "at": "2026-11-20T09:30:00+00:00",
                    },
                    {"id": "x", "name": "Bot"},
                ],
            )
        return httpx.Response(201, json={"id": 99})

    module = _example_module()
    channel = module.Guestbook(
        config={"url": "https://guestbook.test"},
        secrets={"token": "t"},
        http=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    result = channel.fetch("")
    assert isinstance(result.records[0], ItemRecord)
    assert result.records[0].text == "Open Sundays?"
    assert isinstance(result.records[1], SkippedRecord)
    assert result.cursor == "7"
    assert channel.reply(ReplyTarget(source_id="7"), "Yes, 8 to 12.").remote_id == "99"
    assert json.loads(seen[-1].content) == {"text": "Yes, 8 to 12."}
    assert seen[0].headers["Authorization"] == "Bearer t"
