"""Reading digests: which links they cite, on which lines, and what is wrong with the input."""

from __future__ import annotations

from pathlib import Path

import pytest

from enricher.digest import MISSING_URL_REASON, decode_digest, parse_digest, trim_url
from enricher.models import LinkEntry, ParsedDigest

SAMPLES = Path(__file__).resolve().parent.parent / "sources"


def sample(prefix: str) -> Path:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path


def parse_sample(prefix: str) -> ParsedDigest:
    path = sample(prefix)
    text, problems = decode_digest(path.read_bytes(), str(path))
    assert problems == ()
    return parse_digest(text, str(path))


def parse(text: str, path: str = "digest.txt") -> tuple[LinkEntry, ...]:
    return parse_digest(text, path).entries


def urls(text: str) -> list[str | None]:
    return [entry.url for entry in parse(text)]


# --- the real sample digests -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "count"),
    [("000", 19), ("001", 14), ("002", 15), ("003", 0), ("004", 15)],
    ids=["000-19-links", "001-14-links", "002-15-links", "003-no-links", "004-15-links"],
)
def test_sample_digest_entry_counts(prefix: str, count: int) -> None:
    """Every link-list entry of each real digest is found, and nothing else."""
    parsed = parse_sample(prefix)
    assert len(parsed.entries) == count
    assert parsed.path == str(sample(prefix))
    assert all(entry.path == str(sample(prefix)) for entry in parsed.entries)


def test_sample_000_first_entry_is_on_line_3_with_trailing_space_trimmed() -> None:
    """Line numbers are 1-based and the URL loses the trailing (non-breaking) space."""
    first = parse_sample("000").entries[0]
    assert first == LinkEntry(
        str(sample("000")), 3, "AMIE", "https://arxiv.org/abs/2401.05654", None
    )


def test_sample_000_lines_follow_the_file() -> None:
    """Consecutive link-list lines give consecutive line numbers, last one on line 21."""
    entries = parse_sample("000").entries
    assert [entry.line for entry in entries] == list(range(3, 22))
    assert (entries[-1].label, entries[-1].url) == ("TOFU", "https://arxiv.org/abs/2401.06121")


@pytest.mark.parametrize(
    ("prefix", "line", "label", "url"),
    [
        ("001", 16, "通义灵码", "https://tongyi.aliyun.com/lingma"),
        ("004", 13, "扣子", "https://www.coze.cn"),
    ],
    ids=["001-tongyi-lingma", "004-coze"],
)
def test_sample_cjk_labels_are_kept(prefix: str, line: int, label: str, url: str) -> None:
    """Chinese labels survive decoding and parsing unchanged."""
    entries = parse_sample(prefix).entries
    matching = [entry for entry in entries if entry.label == label]
    assert len(matching) == 1
    assert (matching[0].line, matching[0].url, matching[0].note) == (line, url, None)


def test_sample_002_entry_without_url_is_reported_not_dropped() -> None:
    """A labelled entry with prose but no URL is kept with url None and the missing-URL note."""
    entries = parse_sample("002").entries
    missing = [entry for entry in entries if entry.url is None]
    assert len(missing) == 1
    assert missing[0].line == 8
    assert missing[0].label == "Lumiere专题介绍"
    assert missing[0].note == MISSING_URL_REASON
    assert all(entry.note is None for entry in entries if entry.url is not None)


def test_sample_003_single_line_without_newline_has_no_links() -> None:
    """A digest of one prose line with no final newline parses to nothing, without problems."""
    path = sample("003")
    data = path.read_bytes()
    assert not data.endswith(b"\n")
    parsed = parse_sample("003")
    assert parsed.entries == ()
    assert parsed.problems == ()


# --- encodings and line endings --------------------------------------------------------------

PLAIN = (
    "大家好，这是AI大模型周报\n"
    "\n"
    "[AMIE] https://arxiv.org/abs/2401.05654\n"
    "[通义灵码] https://tongyi.aliyun.com/lingma\n"
    "[Lumiere专题介绍] 没有链接\n"
)


def summary(entries: tuple[LinkEntry, ...]) -> list[tuple[int, str | None, str | None]]:
    return [(entry.line, entry.label, entry.url) for entry in entries]


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + PLAIN.encode(),
        PLAIN.replace("\n", "\r\n").encode(),
        b"\xef\xbb\xbf" + PLAIN.replace("\n", "\r\n").encode(),
    ],
    ids=["bom", "crlf", "bom-and-crlf"],
)
def test_bom_and_crlf_parse_like_plain_utf8(data: bytes) -> None:
    """A BOM or Windows line endings change neither lines, labels nor URLs."""
    plain_text, _ = decode_digest(PLAIN.encode(), "d.txt")
    text, problems = decode_digest(data, "d.txt")
    assert problems == ()
    assert not text.startswith("\ufeff")
    expected = summary(parse(plain_text))
    assert expected == [
        (3, "AMIE", "https://arxiv.org/abs/2401.05654"),
        (4, "通义灵码", "https://tongyi.aliyun.com/lingma"),
        (5, "Lumiere专题介绍", None),
    ]
    assert summary(parse(text)) == expected


def test_invalid_utf8_is_a_problem_at_its_line_and_the_rest_still_parses() -> None:
    """Undecodable bytes give one Problem naming the file and line; other links are still found."""
    data = b"title\n\n[A] https://a.example/1\nbad \xff\xfe bytes here\n[B] https://b.example/2\n"
    text, problems = decode_digest(data, "digests/d.txt")
    assert len(problems) == 1
    (problem,) = problems
    assert (problem.path, problem.line) == ("digests/d.txt", 4)
    assert "UTF-8" in problem.message
    assert str(problem).startswith("digests/d.txt:4: ")
    assert summary(parse(text)) == [
        (3, "A", "https://a.example/1"),
        (5, "B", "https://b.example/2"),
    ]


def test_invalid_utf8_line_is_right_after_a_bom() -> None:
    """A BOM does not shift the line reported for undecodable bytes."""
    data = b"\xef\xbb\xbf[A] https://a.example/1\n\xff\n[B] https://b.example/2\n"
    text, problems = decode_digest(data, "d.txt")
    assert [problem.line for problem in problems] == [2]
    assert [entry.line for entry in parse(text)] == [1, 3]


# --- Markdown links and bare URLs in prose ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "See [the paper](https://arxiv.org/abs/2401.10774) for details.",
            [("the paper", "https://arxiv.org/abs/2401.10774")],
        ),
        (
            "Background: [wiki](https://en.wikipedia.org/wiki/Transformer_(machine_learning)).",
            [("wiki", "https://en.wikipedia.org/wiki/Transformer_(machine_learning)")],
        ),
        (
            'A [titled](https://example.com/t "The title") link.',
            [("titled", "https://example.com/t")],
        ),
        (
            "Two: [a](https://a.example/x) and [b](https://b.example/y).",
            [("a", "https://a.example/x"), ("b", "https://b.example/y")],
        ),
    ],
    ids=["in-prose", "wikipedia-parentheses", "with-title", "two-on-a-line"],
)
def test_markdown_links_anywhere_in_prose(text: str, expected: list[tuple[str, str]]) -> None:
    """``[label](url)`` in running text gives its label and exact URL."""
    entries = parse(text)
    assert [(entry.label, entry.url) for entry in entries] == expected
    assert all(entry.line == 1 for entry in entries)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Read https://example.com/a. Then more.", ["https://example.com/a"]),
        ("First https://example.com/a, then https://example.com/b!", [
            "https://example.com/a", "https://example.com/b",
        ]),
        ("(see https://example.com/c) for more", ["https://example.com/c"]),
        (
            "See https://en.wikipedia.org/wiki/Transformer_(machine_learning).",
            ["https://en.wikipedia.org/wiki/Transformer_(machine_learning)"],
        ),
        ("Is it https://example.com/q?", ["https://example.com/q"]),
        ('He said "https://example.com/quoted" loudly', ["https://example.com/quoted"]),
        ("详见 https://example.com/page，以及其他", ["https://example.com/page"]),
        ("地址 https://example.com/zh。谢谢", ["https://example.com/zh"]),
        ("（https://example.com/paren）", ["https://example.com/paren"]),
        ("链接：https://example.com/colon", ["https://example.com/colon"]),
    ],
    ids=[
        "trailing-period", "trailing-comma-and-bang", "unbalanced-paren", "balanced-paren",
        "question-mark", "quotes", "chinese-comma", "chinese-full-stop",
        "fullwidth-parentheses", "fullwidth-colon-before",
    ],
)  # fmt: skip
def test_bare_urls_in_prose_lose_sentence_punctuation(text: str, expected: list[str]) -> None:
    """Bare http(s) URLs are found and trailing sentence or CJK punctuation is not part of them."""
    entries = parse(text)
    assert [entry.url for entry in entries] == expected
    assert all(entry.label is None for entry in entries)


def test_bare_url_directly_after_chinese_text_is_found() -> None:
    """Chinese prose often puts a URL right after a word, with no space; it is still a link."""
    assert urls("详见https://example.com/page，以及https://example.com/other。") == [
        "https://example.com/page",
        "https://example.com/other",
    ]


def test_markdown_link_url_is_not_counted_again_as_bare_url() -> None:
    """A URL inside ``[label](url)`` yields one entry, not a second bare one."""
    entries = parse("Read [paper](https://arxiv.org/abs/2401.10774) today.")
    assert [(entry.label, entry.url) for entry in entries] == [
        ("paper", "https://arxiv.org/abs/2401.10774")
    ]


def test_links_on_a_line_follow_their_position() -> None:
    """Markdown and bare links on one line come out in reading order, whatever their form."""
    line = (
        "first https://one.example/1 then [two](https://two.example/2) and https://three.example/3"
    )
    entries = parse(line)
    assert [(entry.label, entry.url) for entry in entries] == [
        (None, "https://one.example/1"),
        ("two", "https://two.example/2"),
        (None, "https://three.example/3"),
    ]


def test_links_across_lines_keep_their_own_line_numbers() -> None:
    """Each link reports the 1-based line it was written on."""
    text = "intro\n\nsee https://a.example/x\nprose\n[B] https://b.example/y\n"
    assert [(entry.line, entry.url) for entry in parse(text)] == [
        (3, "https://a.example/x"),
        (5, "https://b.example/y"),
    ]


# --- the link list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "label", "url", "note_has"),
    [
        ("[Site] www.example.com", "Site", "www.example.com", "no http(s):// scheme"),
        ("[File] ftp://x.org/file", "File", "ftp://x.org/file", None),
        ("- [Dash] https://example.com/p", "Dash", "https://example.com/p", None),
        ("* [Star] https://example.com/p", "Star", "https://example.com/p", None),
        ("[Trail] https://example.com/p.", "Trail", "https://example.com/p", None),
        ("[Paren] https://example.com/p)", "Paren", "https://example.com/p", None),
        ("[Ideographic]\u3000https://example.com/p", "Ideographic", "https://example.com/p", None),
        ("[Prose first] see https://example.com/p", "Prose first", "https://example.com/p", None),
        ("[No link] just words", "No link", None, MISSING_URL_REASON),
    ],
    ids=[
        "www-without-scheme", "ftp-kept-for-classifier", "dash-bullet", "star-bullet",
        "trailing-period", "unbalanced-paren", "ideographic-space", "url-after-words",
        "label-without-url",
    ],
)  # fmt: skip
def test_link_list_entries(line: str, label: str, url: str | None, note_has: str | None) -> None:
    """``[label] URL`` lines of a link list give the label, the trimmed URL and a note."""
    first, entry = parse(f"intro\n\n[First] https://first.example/\n{line}\n")
    assert first.url == "https://first.example/"
    assert (entry.line, entry.label, entry.url) == (4, label, url)
    if note_has is None:
        assert entry.note is None
    else:
        assert entry.note is not None and note_has in entry.note


def test_lines_without_links_give_nothing() -> None:
    """Prose, brackets without URLs, and empty lines are not links."""
    assert parse("hello\n\nsome [bracketed] words mid-sentence\nend") == ()


# --- trim_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "trimmed"),
    [
        ("https://example.com/a.", "https://example.com/a"),
        ("https://example.com/a,", "https://example.com/a"),
        ("https://example.com/a);", "https://example.com/a"),
        ("https://example.com/a…", "https://example.com/a"),
        ("https://example.com/a?!", "https://example.com/a"),
        (
            "https://en.wikipedia.org/wiki/Transformer_(machine_learning)",
            "https://en.wikipedia.org/wiki/Transformer_(machine_learning)",
        ),
        (
            "https://en.wikipedia.org/wiki/Transformer_(machine_learning)).",
            "https://en.wikipedia.org/wiki/Transformer_(machine_learning)",
        ),
        ("https://example.com/a]", "https://example.com/a"),
        ("https://example.com/a?q=1", "https://example.com/a?q=1"),
        ("https://example.com/", "https://example.com/"),
    ],
    ids=[
        "period", "comma", "paren-then-semicolon", "ellipsis", "question-and-bang",
        "balanced-paren-kept", "extra-paren-and-period", "unbalanced-bracket", "query-kept",
        "slash-kept",
    ],
)  # fmt: skip
def test_trim_url(raw: str, trimmed: str) -> None:
    """Sentence punctuation goes; brackets the URL opened itself stay."""
    assert trim_url(raw) == trimmed


@pytest.mark.parametrize(
    "text",
    [
        "[Update] v2.0 released today\n",
        "[模型] Qwen2.5 发布\n",
        "- [ ] todo\n",
        "[1] a footnote\n",
        "See [the docs](#install) and [home](/about).\n",
        "[Bug] train.py crashes on start\n",
    ],
    ids=[
        "bracketed-tag",
        "cjk-tag-with-version",
        "checkbox",
        "footnote",
        "relative-markdown",
        "file-name-not-a-domain-link",
    ],
)
def test_bracketed_prose_is_not_a_link(text: str) -> None:
    """Outside a link list, a bracketed word or a relative Markdown link is not an entry."""
    assert parse(f"Prose first.\n{text}More prose.\n") == ()


def test_cjk_punctuation_ends_a_list_entry_url() -> None:
    """``[X] https://a.com/x，更多`` links to ``https://a.com/x``, not to the comma."""
    (entry,) = parse("[X] https://a.com/x，更多说明\n")
    assert entry.url == "https://a.com/x"


def test_line_numbers_count_only_real_line_breaks() -> None:
    """Form feeds and U+2028 inside prose do not shift the reported line."""
    (entry,) = parse("intro\u2028more\x0cpage\n[X] https://a.example/\n")
    assert entry.line == 2


def test_a_tagged_paragraph_before_the_list_is_not_an_entry() -> None:
    """A blank line separates a ``[周报] ...`` paragraph from the link list below it."""
    entries = parse("[周报] 大家好, this week in AI\n\n[A] https://a.example/\n[B] title only\n")
    assert [(e.line, e.label) for e in entries] == [(3, "A"), (4, "B")]


def test_scheme_less_markdown_link_is_reported() -> None:
    """``[paper](arxiv.org/abs/...)`` is a link the editor meant: kept, with the missing scheme noted."""
    (entry,) = parse("Read [paper](arxiv.org/abs/2401.05654) today.\n")
    assert entry.url == "arxiv.org/abs/2401.05654"
    assert entry.note is not None and "scheme" in entry.note
