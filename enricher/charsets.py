"""Charset labels read as browsers read them (the WHATWG Encoding Standard). Pure.

A page's declared charset is a label, and browsers map labels to decoders by the Encoding
Standard, not by the label's literal meaning: "Shift_JIS" is decoded as Windows-31J (with
NEC's and IBM's characters: ①, ㈱, 髙), "gb2312" as GBK's superset gb18030, "euc-kr" as
Windows-949, "iso-8859-1" and "us-ascii" as windows-1252. Python's codecs take them
literally, so a title with one such character came out as mojibake; labels Python does not
know at all ("windows-874", "x-sjis") were read as undeclared.
"""

from __future__ import annotations

import codecs

_BY_DECODER: dict[str, tuple[str, ...]] = {
    # Python codec: the Encoding Standard's labels for the encoding it decodes.
    "cp1252": (
        "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
        "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
        "us-ascii", "windows-1252", "x-cp1252",
    ),
    "cp1254": (
        "cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
        "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254",
    ),
    "cp874": (
        "dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874",
    ),
    "cp932": (
        "csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
        "x-sjis",
    ),
    "cp949": (
        "cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
        "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949",
    ),
    "gb18030": (
        "chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
        "iso-ir-58", "x-gbk", "gb18030",
    ),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "iso8859-8": ("csiso88598i", "iso-8859-8-i", "logical"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    **{
        f"cp125{n}": (f"windows-125{n}", f"x-cp125{n}", f"cp125{n}")
        for n in (0, 1, 3, 5, 6, 7, 8)
    },
}  # fmt: skip

DECODER_OF_LABEL = {label: codec for codec, labels in _BY_DECODER.items() for label in labels}
"""Labels whose decoder is not the codec Python would pick for the name, or that Python
does not know: the Encoding Standard's."""

UTF16 = frozenset({"utf-16", "utf-16le", "utf-16be", "unicodefffe", "unicode", "csunicode"})
"""UTF-16's labels: a ``<meta>`` naming one is read as UTF-8 (HTML's prescan: the bytes that
said so were ASCII, so the page is not UTF-16)."""

_NOT_TEXT = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape"})
"""Codecs that cannot replace what they cannot decode: a page naming one is read as if it
named none."""


def decoder_for(label: str, in_meta: bool = False) -> str | None:
    """The Python codec a browser's decoder for ``label`` matches, or None for a label no
    browser knows (then the page is read as undeclared). ``in_meta``: the label came from the
    page's own ``<meta>``, where UTF-16 means UTF-8."""
    name = label.strip().strip("\"'").lower()
    if in_meta and name in UTF16:
        return "utf-8"
    if name in DECODER_OF_LABEL:
        return DECODER_OF_LABEL[name]
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # Not a codec that turns bytes into text (base64, rot13...).
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_TEXT:
        return None
    canonical = info.name
    return DECODER_OF_LABEL.get(canonical) or DECODER_OF_LABEL.get(
        canonical.replace("_", "-"), canonical
    )
