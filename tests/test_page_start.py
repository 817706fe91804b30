"""Where a page's head ends, found as its bytes arrive (``enricher.net.page_start``): pure,
no network. The web checker reads a page through its head and 32 KiB of its body."""

from __future__ import annotations

import random

import pytest

from enricher.net.page_start import HeadScanner, has_head, head_end

TRAPS = [
    "<script>document.write('</head><body>');</script>",
    "<!-- old </HEAD> <body> -->",
    "<title>The <body> element</title>",
    "<noscript><body>Enable JavaScript</noscript>",
    "<style>body > p { margin: 0 } /* </head> */</style>",
    "<template><body><p>row</p></template>",
    "<textarea></head></textarea>",
    "<SCRIPT type=module>let s = '<body>'</SCRIPT >",
    "<!---->",
    "<!-->",
    "<!--->",
]


@pytest.mark.parametrize("trap", TRAPS)
def test_a_head_end_written_as_text_is_not_the_end(trap: str) -> None:
    page = f"<html><head>{trap}<meta charset=utf-8></head><body>x".encode()
    assert head_end(page) == page.rindex(b"</head>") + len(b"</head>")


@pytest.mark.parametrize(
    ("page", "end_before"),
    [
        ("<html><head><title>t</title></HEAD  ><body>x", b"<body>"),
        ("<html><head><title>t</title><body class=home>x", b"<body class"),
        ("<html><head><title>t</title><BODY>x", b"<BODY>"),
        ("<html><head><title>t</title><body/>x", b"<body/>"),
    ],
)  # fmt: skip
def test_the_head_ends_after_its_end_tag_or_where_the_body_starts(
    page: str, end_before: bytes
) -> None:
    data = page.encode()
    assert head_end(data) == data.index(end_before)


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>t</title><bodyguard>x</bodyguard>",  # not <body>
        "<html><head><script>var s = '</head>'",  # the script has not ended yet
        "<html><head><!-- </head>",  # nor the comment
    ],
)
def test_no_end_yet(page: str) -> None:
    assert head_end(page.encode()) is None


@pytest.mark.parametrize("seed", range(40))
def test_bytes_arriving_in_any_chunks_give_the_same_end(seed: int) -> None:
    """Tokens cut by chunk boundaries ("</he" + "ad>", "<scr" + "ipt>") are found whole."""
    rng = random.Random(seed)
    traps = rng.sample(TRAPS, 4)
    page = ("<html><head>" + "".join(traps) + "<meta a='1'></head><body>x").encode()
    expected = head_end(page)
    assert expected is not None
    scanner, arrived, found = HeadScanner(), bytearray(), None
    while found is None and len(arrived) < len(page):
        arrived += page[len(arrived) : len(arrived) + rng.randint(1, 9)]
        found = scanner.feed(arrived)
    assert found == expected
    assert scanner.feed(arrived + b"</head>") == expected  # found once, kept


def test_a_head_is_looked_for_at_the_page_start_only() -> None:
    assert has_head(b"<!doctype html><!-- hi --><html lang=en><HEAD>")
    assert not has_head(b"<div>" + b" " * 5000 + b"<head>")
    assert not has_head(b"<header>menu</header>")
