"""Hostile HTML in, safe HTML and plain text out."""

from __future__ import annotations

from rapport.inbox.sanitize import MAX_INPUT_CHARS, autop, html_to_text, sanitize_html


def test_scripts_and_styles_vanish_with_their_content():
    out = sanitize_html("<p>hi<script>alert(1)</script><style>p{color:red}</style></p>")
    assert out == "<p>hi</p>"


def test_event_handlers_are_stripped():
    out = sanitize_html('<img src=x onerror="alert(1)"><b onclick="x()">bold</b>')
    assert "onerror" not in out and "onclick" not in out and "<img" not in out
    assert "<b>bold</b>" in out


def test_javascript_links_lose_their_href():
    out = sanitize_html('<a href="javascript:alert(1)">x</a><a href="JaVaScRiPt:alert(2)">y</a>')
    assert "javascript" not in out.lower()


def test_relative_and_data_urls_are_dropped():
    out = sanitize_html('<a href="/admin/delete">a</a><a href="data:text/html,x">b</a>')
    assert "href" not in out


def test_safe_links_keep_href_and_get_rel():
    out = sanitize_html('<a href="https://ok.example/" title="t" target="_blank">ok</a>')
    assert 'href="https://ok.example/"' in out
    assert 'rel="nofollow noopener noreferrer ugc"' in out
    assert "target" not in out


def test_mailto_links_are_allowed():
    assert 'href="mailto:a@example.com"' in sanitize_html('<a href="mailto:a@example.com">m</a>')


def test_allowed_formatting_survives():
    html = "<blockquote><p><em>a</em> <strong>b</strong> <code>c</code></p></blockquote><ul><li>x</li></ul>"
    assert sanitize_html(html) == html


def test_disallowed_tags_keep_their_text():
    assert sanitize_html("<div><h1>Title</h1><iframe src=x></iframe>body</div>") == "Titlebody"


def test_absurd_sizes_are_capped():
    out = sanitize_html("<p>" + "a" * (MAX_INPUT_CHARS * 2))
    assert len(out) <= MAX_INPUT_CHARS + 10


def test_text_keeps_line_breaks_and_unescapes_entities():
    assert html_to_text("<p>Fish &amp; chips</p><p>line one<br>line two</p>") == (
        "Fish & chips\nline one\nline two"
    )


def test_text_drops_script_content_and_collapses_space():
    assert html_to_text("a  <script>evil()</script>\t b\n\n\n\n c") == "a b\n\nc"


def test_text_of_plain_text_is_itself():
    assert html_to_text("Thank you, that worked!") == "Thank you, that worked!"


def test_autop_makes_paragraphs_of_plain_comments():
    assert autop("one\n\ntwo\nthree") == "<p>one</p><p>two<br>three</p>"
    assert autop("<p>already</p>\n\nmore") == "<p>already</p>\n\nmore"
    assert autop("one line") == "one line"


def test_only_absolute_http_urls_are_kept():
    from rapport.inbox.sanitize import safe_url

    assert safe_url(" https://ok.example/a?b=1#c ") == "https://ok.example/a?b=1#c"
    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("JAVASCRIPT:alert(1)#comment-5") == ""
    assert safe_url("data:text/html,x") == ""
    assert safe_url("/relative") == ""
    assert safe_url('https://x.example/"onmouseover=') == ""
    assert safe_url("https://x.example/" + "a" * 2000) == ""
