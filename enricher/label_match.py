"""Does a digest's label name the thing its link points to? Pure: strings in, a verdict out.

A link list reads ``[MEDUSA] https://arxiv.org/abs/2401.10774``; the label is usually a short
name inside the paper's title, the repository's ``owner/name`` or the page's title. ``match``
says it is; ``mismatch`` warns of a likely copy-paste of the wrong link; ``unknown`` is
everything in between.

Precision first: a false ``mismatch`` sends an editor chasing a link that was right, and
editors stop reading warnings that cry wolf. So ``mismatch`` needs all of:

* a Latin-script label that looks like a name (a word, or up to four words one of which is
  CamelCase, an acronym or holds a digit), not a description, a role ("[Paper]", "[Code]")
  or a number;
* a title that carries a name of its own, in Latin script: a repository or model id
  (``owner/name``) or a short head before a colon ("Lookahead: An Inference ..."). Many
  papers name their method only in the abstract ("[AMIE]" is "Towards Conversational
  Diagnostic AI", "[APAM]" is "Social Skill Training with Large Language Models"), and web
  pages are often titled after the site ("Models - OpenAI API" for "[GPT-4 Turbo]"); such
  titles say nothing against the label;
* no title sharing anything with the label: no common word, no word one contains, no shared
  start of four letters, no fuzzy near-miss.

Text is compared after NFKC, casefolding and turning punctuation into spaces, both as words and
with the spaces removed ("DeepSeek-V3" is "DeepSeekV3", "llama.cpp" is "llama cpp").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class LabelMatch(StrEnum):
    """The ``label_match`` field of a link."""

    MATCH = "match"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"


FUZZY_MATCH = 90.0
"""A Latin label at least this close (rapidfuzz ``partial_ratio``) to part of a title is a
match: one letter off in eight or more ("Mixtrall" for "Mixtral" is 93), while sibling names
stay apart ("Mistral" and "Mixtral" score 86)."""

FUZZY_MIN_CHARS = 5
"""Shorter labels are not fuzzed: one letter off in "TOFU" is another word."""

RELATED_WORD = 75.0
"""Two words at least this close (``ratio``) count as shared, which rules out ``mismatch``."""

RELATED_TEXT = 80.0
"""A label this close (``partial_ratio``, spaces removed) to part of a title rules out
``mismatch`` too. A whole-title ``partial_ratio`` scores 40 to 67 for unrelated names against
a paper title, so it is used only as this extra guard, never as the evidence itself."""

MAX_NAME_WORDS = 4
"""A label of more words is a description ("Google's new paper on speculative decoding")."""

MAX_CHARS = 2000
"""Labels and titles are cut here: a title is a line, and the cost stays bounded."""

MAX_TITLE_NAME_WORDS = 3
"""The head of "Head: rest" names the thing only when it is this short and has no comma
("Planning, Creation, Usage: Benchmarking LLMs ..." names nothing)."""

_CJK = (
    "\u3040-\u30ff\u3100-\u312f"  # kana, bopomofo
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"  # Han
    "\uac00-\ud7af"  # Hangul
)
_SEPARATORS = re.compile(r"[\W_]+")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-z\u00c0-\u024f\u1e00-\u1eff]")
"""A letter of any script but Latin, in casefolded text."""
_CJK_RUN = re.compile(rf"[{_CJK}]+")
"""Chinese and Japanese write no spaces, so "MiniMax开放平台" is read as two words. Each
character class of these ranges costs the regex compiler 2-3 ms at import: this is the
module's only one."""
_DIGITS = re.compile(r"\d+")
_TITLE_HEAD = re.compile(r"(?P<head>[^:]+):(?:\s|$)")
"""The head of "Head: rest" (after NFKC, which turns a full-width colon into ":")."""
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
"""GitHub's ``owner/name`` or a Hugging Face model id: the name of the thing itself."""
_NAME_SHAPE = re.compile(r"\d|\w[A-Z]")
"""A word written like a name: a digit, a capital after a letter (CamelCase, "MEDUSA")."""

STOPWORDS = _words(
    "a an the of for and or with without in on at to by from via as is are be into over under "
    "using towards toward vs versus its it this that your you we our all can do does not no "
    "how what why when new"
)
"""Small words: skipped in acronyms, never evidence that two texts are related."""

GENERIC = _words(
    "ai ml nlp llm llms lm lms model models language languages large agent agents open"
)
"""Words in half of all AI titles: sharing one is no evidence, and no label is named by one."""

DESCRIPTIVE = _words(
    "paper papers preprint pdf abs abstract arxiv code repo repository github gitlab hf "
    "huggingface hugging face demo demos blog blogpost post posts article news link links url "
    "source sources src video videos youtube thread tweet tweets twitter reddit hn hacker "
    "discussion discussions comments website site homepage home page project docs doc "
    "documentation slides podcast announcement release official here more details read "
    "report technical tech card weights checkpoint checkpoints dataset benchmark leaderboard "
    "app api playground try online download colab notebook medium substack linkedin www http "
    "https com org io net html full text original version intro introduction overview summary "
    "explainer tutorial guide press coverage"
)
"""Words that say what kind of link it is, not what it is: "[Paper]", "[HN discussion]",
"[Medusa code]". A label of nothing else is ``unknown``; around a name they are dropped."""

CJK_DESCRIPTIVE = (
    "技术报告", "论文", "代码", "链接", "项目", "地址", "官网", "原文", "博客", "演示", "视频",
    "主页", "详情", "介绍", "专题", "报告", "新闻", "公告", "文档", "教程", "下载", "源码",
    "开源", "网站", "官方", "全文", "摘要", "解读", "論文", "記事", "動画", "公式", "サイト",
    "リンク", "コード", "ブログ", "デモ", "プロジェクト", "ページ", "논문", "코드", "링크",
    "블로그", "영상", "데모",
)  # fmt: skip
"""The same roles in Chinese, Japanese and Korean, cut from either end of a run:
"Lumiere专题介绍" is Lumiere plus "special topic introduction"."""

ORGANISATIONS = _words(
    "openai google deepmind meta facebook microsoft anthropic nvidia apple amazon aws ibm intel "
    "alibaba alibabacloud aliyun tencent baidu bytedance huawei xiaomi samsung salesforce adobe "
    "stanford mit berkeley cmu princeton harvard tsinghua pku zju sjtu eth epfl oxford cambridge "
    "allenai ai2 eleutherai stability stabilityai cohere "
    "kaggle huggingface github gitlab youtube medium substack reddit twitter linkedin colab"
)
"""A label naming only who made it ("[DeepMind]", "[Google AI]") may sit on any of their
papers, whose titles never name them: such a label is never evidence of a wrong link."""

TITLE_HEAD_WORDS = _words(
    "re fwd fw show ask tell launch breaking exclusive update updates case study deep dive part "
    "chapter day week episode live watch opinion interview editorial commentary perspective "
    "position survey review analysis research note notes faq recap tldr tl dr psa announcing "
    "introducing error warning notice correction erratum retraction press changelog"
)
"""Heads that name no thing: "Show HN: ...", "Position: ...", "Error: ...". Together with the
stopword, generic and descriptive words and numbers, a head of only these is not a name."""

GENERIC_TITLES = frozenset(
    {
        "just a moment", "home", "homepage", "home page", "index", "untitled",
        "untitled document", "document", "loading", "redirecting", "please wait",
        "one moment please", "access denied", "forbidden", "403 forbidden", "404",
        "404 not found", "not found", "page not found", "error", "404 error",
        "internal server error", "500 internal server error", "bad gateway", "502 bad gateway",
        "service unavailable", "503 service unavailable", "too many requests",
        "429 too many requests", "attention required cloudflare", "security check",
        "verify you are human", "are you a robot", "robot check", "captcha", "sign in", "log in",
        "login", "welcome", "github", "gitlab", "arxiv", "arxiv org", "x", "x com", "twitter",
        "youtube", "google", "hugging face", "huggingface", "medium", "reddit", "linkedin",
        "substack", "ddos guard",
    }
)  # fmt: skip
"""Bot walls, error pages and bare site names (normalised): no title at all, for comparing."""

_NOT_NAMES = STOPWORDS | GENERIC
_NOT_TITLE_NAMES = STOPWORDS | GENERIC | DESCRIPTIVE | TITLE_HEAD_WORDS


@dataclass(frozen=True, slots=True)
class _Text:
    """A label or title, normalised once: its words, and its words run together."""

    tokens: tuple[str, ...]
    joined: str
    starts: frozenset[int]
    """Offsets in ``joined`` where a word starts: "llamacpp" is found in "ggerganovllamacpp"
    at a word's start, "rag" in "storage" is not."""
    digits: frozenset[str]
    vocabulary: frozenset[str]
    tails: frozenset[int] = frozenset()
    """Indexes of the words that end a compound ("head" of "Multi-Head"): an acronym may
    leave one out."""

    @property
    def spaced(self) -> str:
        return " ".join(self.tokens)


def _normalise(text: str) -> str:
    """NFKC, casefold, punctuation and separators to spaces, a space where CJK meets others;
    words separated by one space."""
    folded = unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold()
    return " ".join(_CJK_RUN.sub(r" \g<0> ", _SEPARATORS.sub(" ", folded)).split())


def _text(tokens: Sequence[str]) -> _Text:
    starts: set[int] = set()
    offset = 0
    for token in tokens:
        starts.add(offset)
        offset += len(token)
    joined = "".join(tokens)
    digits = frozenset(_DIGITS.findall(joined))
    return _Text(tuple(tokens), joined, frozenset(starts), digits, frozenset(tokens))


def _is_latin(normalised: str) -> bool:
    return _NON_LATIN_LETTER.search(normalised) is None


def _is_word(token: str) -> bool:
    """Two characters or more, not all digits: "o1" is a word, "1" and "a" are not."""
    return len(token) > 1 and not token.isdigit()


def _strip_cjk_roles(run: str) -> str:
    """A CJK run without the role words at its ends ("通义灵码官网" -> "通义灵码")."""
    stripped = True
    while stripped:
        stripped = False
        for word in CJK_DESCRIPTIVE:
            if run.startswith(word):
                run, stripped = run[len(word) :], True
            if run.endswith(word):
                run, stripped = run[: -len(word)], True
    return run


# --- matching -------------------------------------------------------------------------------


def _in_order(label: _Text, title: _Text) -> bool:
    """The label's words, in a row, among the title's; or the label run together, found where
    a title word starts ("DeepSeekV3" in "DeepSeek-V3", "llama.cpp" in "ggerganov/llama.cpp")."""
    n = len(label.tokens)
    if any(title.tokens[i : i + n] == label.tokens for i in range(len(title.tokens) - n + 1)):
        return True
    if len(label.joined) < 3:
        return False
    start = title.joined.find(label.joined)
    while start != -1:
        if start in title.starts:
            return True
        start = title.joined.find(label.joined, start + 1)
    return False


def _all_words(label: _Text, title: _Text) -> bool:
    """Every word of a label of several, in any order ("Multilingual Tuning" in "Multilingual
    Instruction Tuning With ...")."""
    words = [token for token in label.tokens if token not in STOPWORDS]
    return len(words) >= 2 and title.vocabulary.issuperset(words)


def _acronym(label: _Text, title: _Text) -> bool:
    """A one-word label spelled by the starts of consecutive title words: "RAG" from
    "Retrieval-Augmented Generation", "MoE" from "Mixture-of-Experts", "LoRA" from "Low-Rank
    Adaptation". Each word gives its initial (one word may give two letters, as "Lo"); small
    words may be skipped ("RLHF": Reinforcement Learning from Human Feedback), and one other
    word inside the run, the second half of a compound ("MLA": Multi-Head Latent Attention).
    A plural's "s" may be left out ("LLMs"). A letter from further inside a word ("AE" of
    "Autoencoders") is not taken: it spelled "RAG" out of "ReAct: ... Reasoning and Acting"
    and hid real wrong links."""
    if len(label.tokens) != 1:
        return False
    letters = label.joined
    if not (3 <= len(letters) <= 10 and letters.isascii() and letters.isalpha()):
        return False
    if letters.endswith("s") and len(letters) >= 4 and _spelled(letters[:-1], title):
        return True
    return _spelled(letters, title)


def _spelled(letters: str, title: _Text) -> bool:
    # States: (letters spelled, words used, a second letter taken, a compound's end skipped);
    # a fresh start at each word.
    states: set[tuple[int, int, bool, bool]] = set()
    for index, word in enumerate(title.tokens):
        after: set[tuple[int, int, bool, bool]] = set()
        for spelled, used, doubled, skipped in (*states, (0, 0, False, False)):
            if spelled and word in STOPWORDS:
                after.add((spelled, used, doubled, skipped))
            elif spelled and not skipped and index in title.tails:
                after.add((spelled, used, doubled, True))
            if word[:1] == letters[spelled : spelled + 1]:
                after.add((spelled + 1, used + 1, doubled, skipped))
                if not doubled and word[:2] == letters[spelled : spelled + 2] and len(word) > 1:
                    after.add((spelled + 2, used + 1, True, skipped))
        if any(spelled == len(letters) and used >= 2 for spelled, used, _, _ in after):
            return True
        states = {state for state in after if state[0] < len(letters)}
    return False


def _fuzzy(label: _Text, title: _Text) -> bool:
    """A typo: a Latin label of five letters or more nearly inside the title, with the same
    numbers ("Stable Diffusion 3" is not "Stable Diffusion 2", however close the letters)."""
    if len(label.joined) < FUZZY_MIN_CHARS or len(label.joined) > len(title.joined):
        return False
    if not label.digits <= title.digits:
        return False
    return _near(label.spaced, title.spaced, FUZZY_MATCH, partial=True) or _near(
        label.joined, title.joined, FUZZY_MATCH, partial=True
    )


def _near(a: str, b: str, cutoff: float, *, partial: bool) -> bool:
    """rapidfuzz's ``ratio`` of ``a`` and ``b`` (``partial``: of ``a`` and the best part of
    ``b``) reaches ``cutoff``."""
    from rapidfuzz import fuzz  # 13 ms to import: paid by the first label compared, not at start

    scorer = fuzz.partial_ratio if partial else fuzz.ratio
    return scorer(a, b, score_cutoff=cutoff) > 0


def _latin_matches(forms: Sequence[_Text], title: _Text, *, fuzzy: bool) -> bool:
    return any(
        _in_order(form, title)
        or _all_words(form, title)
        or _acronym(form, title)
        or (fuzzy and _fuzzy(form, title))
        for form in forms
    )


@dataclass(frozen=True, slots=True)
class _Label:
    """A label read once: the forms to look for, and what kind of label it is."""

    forms: tuple[_Text, ...]
    """The label's words; also without its role words ("Medusa code" -> "Medusa")."""
    latin: bool
    cjk_runs: tuple[str, ...]
    """Non-Latin label: its CJK runs without role words, each looked for as a substring."""
    latin_part: _Text | None
    """Non-Latin label: its Latin words ("Lumiere" of "Lumiere专题介绍"), matched as a label."""
    names: tuple[str, ...]
    """Words that could be a name (three letters or more, not small, generic or a role)."""
    name_like: bool


def _read_label(label: str) -> _Label | None:
    """The label's forms, or None when it names nothing: empty, a number, a role only."""
    normalised = _normalise(label)
    tokens = normalised.split()
    core = [token for token in tokens if token not in DESCRIPTIVE]
    meaningful = [token for token in core if _is_word(token) and not _CJK_RUN.fullmatch(token)]
    cjk_runs = tuple(
        run for run in (_strip_cjk_roles(token) for token in core if _CJK_RUN.fullmatch(token))
        if run
    )  # fmt: skip
    if not meaningful and not cjk_runs:
        return None
    forms = (_text(tokens),) if core == tokens else (_text(tokens), _text(core))
    latin = _is_latin(normalised)
    latin_words = [token for token in core if _is_latin(token)]
    names = tuple(
        token
        for token in core
        if sum(char.isalpha() for char in token) >= 3 and token not in _NOT_NAMES
    )
    makers_only = set(names) <= ORGANISATIONS
    return _Label(
        forms=forms,
        latin=latin,
        cjk_runs=cjk_runs,
        latin_part=_text(latin_words) if not latin and any(map(_is_word, latin_words)) else None,
        names=names,
        name_like=latin and bool(names) and not makers_only and _looks_like_a_name(label),
    )


def _looks_like_a_name(label: str) -> bool:
    """One word, or up to four with one written like a name ("GPT-4 Turbo", "Mixtral 8x22B");
    several plain words ("Multilingual Tuning", "speculative decoding") describe a topic."""
    words = [
        word
        for word in unicodedata.normalize("NFKC", label[:MAX_CHARS]).split()
        if not set(_normalise(word).split()) <= DESCRIPTIVE
    ]
    if len(words) == 1:
        return True
    return 1 < len(words) <= MAX_NAME_WORDS and any(_NAME_SHAPE.search(word) for word in words)


def _matches(label: _Label, title: _Text) -> bool:
    if label.latin:
        return _latin_matches(label.forms, title, fuzzy=True)
    if any(form.joined in title.joined for form in label.forms):
        return True
    if label.cjk_runs and all(run in title.joined for run in label.cjk_runs):
        return True
    return label.latin_part is not None and _latin_matches((label.latin_part,), title, fuzzy=False)


# --- mismatch evidence ----------------------------------------------------------------------


def _names_itself(raw: str, sites: frozenset[str] = frozenset()) -> bool:
    """Whether a title carries the thing's own name, in Latin script: ``owner/name``, or a short
    head before a colon that is not a role ("Show HN: ...") ("Lookahead: An Inference ..."),
    nor who made it or where it is ("Google DeepMind: ...", "Kaggle: Your Machine Learning
    ...", a site's name: ``sites``)."""
    text = unicodedata.normalize("NFKC", raw[:MAX_CHARS]).strip()
    if _REPO_ID.fullmatch(text):
        return _is_latin(_normalise(text))
    found = _TITLE_HEAD.match(text)
    if found is None:
        return False
    head = found["head"]
    if "," in head or not 1 <= len(head.split()) <= MAX_TITLE_NAME_WORDS:
        return False
    words = _normalise(head).split()
    if not _is_latin(" ".join(words)) or " ".join(words) in sites or "".join(words) in sites:
        return False
    names = [word for word in words if _is_word(word) and word not in _NOT_TITLE_NAMES]
    return bool(names) and not all(word in ORGANISATIONS or word in sites for word in names)


def _related_words(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 4 and (shorter in longer or a[:4] == b[:4]):
        return True
    return min(len(a), len(b)) >= 4 and _near(a, b, RELATED_WORD, partial=False)


def _related(label: _Label, title: _Text) -> bool:
    """Anything in common that a wrong link would not have: a shared word, a word inside
    another ("Health" and "HealthBench"), the same first four letters, a near-miss."""
    words = [token for token in title.tokens if token not in _NOT_NAMES]
    for name in (*label.names, label.forms[-1].joined):
        if any(_related_words(name, word) for word in words):
            return True
    joined = label.forms[-1].joined
    return (len(joined) >= 4 and joined in title.joined) or _near(
        joined, title.joined, RELATED_TEXT, partial=True
    )


def _present(title: str | None) -> tuple[str, _Text] | None:
    """A title worth comparing with: not None or blank, holds a word, not a bot wall or a bare
    site name."""
    if title is None:
        return None
    normalised = _normalise(title)
    if normalised in GENERIC_TITLES or not any(map(_is_word, normalised.split())):
        return None
    text = _text(normalised.split())
    # The words after the first of each whitespace-separated word ("Multi-Head": "head").
    tails: set[int] = set()
    index = 0
    for word in unicodedata.normalize("NFKC", title[:MAX_CHARS]).split():
        parts = len(_normalise(word).split())
        tails.update(range(index + 1, index + parts))
        index += parts
    if index == len(text.tokens):  # else the two readings disagree: no compounds known
        text = replace(text, tails=frozenset(tails))
    return title, text


def label_match(
    label: str | None,
    titles: Sequence[str | None],
    *,
    context: Sequence[str | None] = (),
    sites: Sequence[str | None] = (),
) -> LabelMatch:
    """match if the label matches any of the titles; mismatch only on strong evidence that it
    matches none; unknown when nothing to compare.

    ``titles`` are what the link is called: the arXiv paper's title, the repository's
    ``owner/name`` (better than the bare name, which could be a site name), the web page's
    title. None, blank and generic ones ("Just a moment...") are ignored. ``context`` says
    more about the thing (an abstract, a repository's description and topics): a label it
    mentions ("[GRPO]" on DeepSeekMath, "[YOLOv8]" on ultralytics/ultralytics) is never a
    mismatch. ``sites`` name where the page is (its ``og:site_name``, its host): a title
    headed by one ("Kaggle: Your Machine Learning ...") does not name the thing.
    """
    read = _read_label(label) if label else None
    present = [found for found in map(_present, titles) if found is not None]
    if read is None or not present:
        return LabelMatch.UNKNOWN
    if any(_matches(read, text) for _, text in present):
        return LabelMatch.MATCH
    site_names = frozenset(
        form for site in sites if site for form in _site_forms(_normalise(site[:MAX_CHARS]))
    )
    if (
        read.name_like
        and any(_names_itself(raw, site_names) for raw, _ in present)
        and not any(_related(read, text) for _, text in present)
        and not any(_mentions(read, text) for text in context if text)
    ):
        return LabelMatch.MISMATCH
    return LabelMatch.UNKNOWN


def _site_forms(site: str) -> tuple[str, ...]:
    """A site's name as a title may write it: "Hugging Face", "huggingface", "kaggle" of
    "www.kaggle.com"."""
    words = site.split()
    host_name = [w for w in words if w not in ("www", "com", "org", "net", "io", "ai", "co")]
    return (" ".join(words), "".join(words), *host_name[:1])


def _mentions(label: _Label, text: str) -> bool:
    """Whether a description or abstract mentions the label, or a word close to one of its
    names ("YOLO11" beside "[YOLOv8]"); word by word: a fuzzy search of a whole abstract
    would find most short labels somewhere."""
    context = _text(_normalise(text[:MAX_CONTEXT_CHARS]).split())
    if _matches(label, context):
        return True
    words = {token for token in context.tokens if token not in _NOT_NAMES}
    return any(_related_words(name, word) for name in label.names for word in words)


MAX_CONTEXT_CHARS = 5000
"""An abstract is read this far: the label of a paper is named early when it is at all."""
