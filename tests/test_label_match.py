"""Label against title: ``match`` when the digest's label names the linked thing, ``mismatch``
only when it clearly names something else (a copy-pasted wrong link), ``unknown`` otherwise."""

from __future__ import annotations

import json

import pytest

from enricher.label_match import LabelMatch, label_match

MATCH, MISMATCH, UNKNOWN = LabelMatch.MATCH, LabelMatch.MISMATCH, LabelMatch.UNKNOWN

MEDUSA = "Medusa: Simple LLM Inference Acceleration Framework with Multiple Decoding Heads"
LOOKAHEAD = (
    "Lookahead: An Inference Acceleration Framework for Large Language Model with Lossless "
    "Generation Accuracy"
)

SAMPLE_LINKS = [
    # sources/000
    ("AMIE", "Towards Conversational Diagnostic AI", UNKNOWN),  # AMIE: abstract only
    ("Anim-400K", "Anim-400K: A Large-Scale Dataset for Automated End-To-End Dubbing of Video", MATCH),
    ("Clover", "Clover: Closed-Loop Verifiable Code Generation", MATCH),
    ("CrewAI", "joaomdmoura/crewAI", MATCH),
    ("CRUXEval", "CRUXEval: A Benchmark for Code Reasoning, Understanding and Execution", MATCH),
    ("DeepSeekMoE", "DeepSeekMoE: Towards Ultimate Expert Specialization in Mixture-of-Experts Language Models", MATCH),
    ("FIND", "FIND: A Function Description Benchmark for Evaluating Interpretability Methods", MATCH),
    ("Gateway", "Portkey-AI/gateway", MATCH),
    ("Lookahead", LOOKAHEAD, MATCH),
    ("Minimax", "MiniMax开放平台", MATCH),
    ("Multilingual Tuning", "Multilingual Instruction Tuning With Just a Pinch of Multilinguality", MATCH),
    ("PALP", "PALP: Prompt Aligned Personalization of Text-to-Image Models", MATCH),
    ("Panda", "Panda: Performance Debugging for Databases using LLM Agents", MATCH),
    ("Parrot", "Parrot: Pareto-optimal Multi-Reward Reinforcement Learning Framework for Text-to-Image Generation", MATCH),
    ("Patchscopes", "Patchscopes: A Unifying Framework for Inspecting Hidden Representations of Language Models", MATCH),
    ("PhotoMaker", "PhotoMaker: Customizing Realistic Human Photos via Stacked ID Embedding", MATCH),
    ("Splitwise", "Splitwise: Efficient generative LLM inference using phase splitting", MATCH),
    ("TOFU", "TOFU: A Task of Fictitious Unlearning for LLMs", MATCH),
    # sources/001
    ("AniPortrait", "AniPortrait: Audio-Driven Synthesis of Photorealistic Portrait Animation", MATCH),
    ("APAM", "Social Skill Training with Large Language Models", UNKNOWN),  # abstract only
    ("APISR", "APISR: Anime Production Inspired Real-World Anime Super-Resolution", MATCH),
    ("ChemDFM", "ChemDFM: Dialogue Foundation Model for Chemistry", MATCH),
    ("CodeGemma", "CodeGemma - an official Google release for code LLMs", MATCH),
    ("EgoExoLearn", "EgoExoLearn: A Dataset for Bridging Asynchronous Ego- and Exo-centric View of Procedural Activities in Real World", MATCH),
    ("Gecko", "Gecko: Versatile Text Embeddings Distilled from Large Language Models", MATCH),
    ("GPT-4 Turbo", "Models - OpenAI API", UNKNOWN),  # the docs page is titled after the site
    ("GreedLlama", "GreedLlama: Performance of Financial Value-Aligned Large Language Models in Moral Reasoning", MATCH),
    ("Mixtral 8x22B", "mistral-community/Mixtral-8x22B-v0.1-4bit", MATCH),
    ("Octopus v2", "Octopus v2: On-device language model for super agent", MATCH),
    ("VoicePilot", "VoicePilot: Harnessing LLMs as Speech Interfaces for Physically Assistive Robots", MATCH),
    ("通义灵码", "通义灵码_智能编码助手_AI编程-阿里云", MATCH),
    # sources/002 and 004
    ("Baichuan3", "百川大模型-汇聚世界知识 创作妙笔生花", UNKNOWN),
    ("FAVA", "Fine-grained Hallucination Detection and Editing for Language Models", UNKNOWN),
    ("FuseLLM", "Knowledge Fusion of Large Language Models", UNKNOWN),
    ("Lumiere专题介绍", "Lumiere: A Space-Time Diffusion Model for Video Generation", MATCH),
    ("MEDUSA", MEDUSA, MATCH),
    ("Qwen-VL", "QwenLM/Qwen-VL", MATCH),
    ("RoboChem", "An integrated self-optimizing programmable chemical synthesis and reaction engine", UNKNOWN),
    ("ServerlessLLM", "ServerlessLLM: Locality-Enhanced Serverless Inference for Large Language Models", MATCH),
    ("SliceGPT", "SliceGPT: Compress Large Language Models by Deleting Rows and Columns", MATCH),
    ("StreamVoice", "StreamVoice: Streamable Context-Aware Language Modeling for Real-time Zero-Shot Voice Conversion", MATCH),
    ("UALA", "Towards Uncertainty-Aware Language Agent", MATCH),
    ("WebVoyager", "WebVoyager: Building an End-to-End Web Agent with Large Multimodal Models", MATCH),
    ("West-of-N", "West-of-N: Synthetic Preference Generation for Improved Reward Modeling", MATCH),
    ("AwareLLM", "I Think, Therefore I am: Benchmarking Awareness of Large Language Models Using AwareBench", UNKNOWN),
    ("CogGPT", "CogGPT: Unleashing the Power of Cognitive Dynamics on Large Language Models", MATCH),
    ("CroissantLLM", "CroissantLLM: A Truly Bilingual French-English Language Model", MATCH),
    ("CRUD-RAG", "CRUD-RAG: A Comprehensive Chinese Benchmark for Retrieval-Augmented Generation of Large Language Models", MATCH),
    ("DLRover", "intelligent-machine-learning/dlrover", MATCH),
    ("EarthGPT", "EarthGPT: A Universal Multi-modal Large Language Model for Multi-sensor Image Comprehension in Remote Sensing Domain", MATCH),
    ("GazeGPT", "GazeGPT: Augmenting Human Capabilities using Gaze-contingent Contextual AI for Smart Eyewear", MATCH),
    ("Global-Liar", "Global-Liar: Factuality of LLMs over Time and Geographic Regions", MATCH),
    ("Health-LLM", "Health-LLM: Large Language Models for Health Prediction via Wearable Sensor Data", MATCH),
    ("InstantID", "InstantID: Zero-shot Identity-Preserving Generation in Seconds", MATCH),
    ("MM-Interleaved", "MM-Interleaved: Interleaved Image-Text Generative Modeling via Multi-modal Feature Synchronizer", MATCH),
    ("PlantoGraphy", "PlantoGraphy: Incorporating Iterative Design Process into Generative Artificial Intelligence for Landscape Rendering", MATCH),
    ("UltraTool", "Planning, Creation, Usage: Benchmarking LLMs for Comprehensive Tool Utilization in Real-World Complex Scenarios", UNKNOWN),
    ("扣子", "扣子 - AI 智能体开发平台", MATCH),
]  # fmt: skip
"""Labels of the sample digests in ``sources/`` with the titles of their links. Several papers
name their method only in the abstract: against the title alone that is ``unknown``."""


def check(label: str | None, *titles: str | None) -> LabelMatch:
    return label_match(label, titles)


# --- the sample digests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "title", "expected"), SAMPLE_LINKS, ids=[label for label, _, _ in SAMPLE_LINKS]
)
def test_sample_digest_links_are_never_called_wrong(
    label: str, title: str, expected: LabelMatch
) -> None:
    """Every link of the real digests is right: most match, none is flagged as a mismatch."""
    assert check(label, title) is expected


def test_swapped_sample_links_are_mostly_caught_and_never_matched() -> None:
    """Pasting each entry's neighbour's link instead: never a match, mostly a mismatch (the
    rest is unknown: titles that name nothing, labels that share a word with the neighbour)."""
    verdicts = [
        check(label, SAMPLE_LINKS[(i + 1) % len(SAMPLE_LINKS)][1])
        for i, (label, _, _) in enumerate(SAMPLE_LINKS)
    ]
    assert MATCH not in verdicts
    assert verdicts.count(MISMATCH) >= len(verdicts) * 0.6


# --- match ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("MEDUSA", MEDUSA),
        ("ＭＥＤＵＳＡ", MEDUSA),  # full-width, as CJK input methods type it
        ("MEDUSA", "FasterDecoding/Medusa"),
        ("Medusa", "[2401.10774] Medusa: Simple LLM Inference Acceleration Framework"),
        ("FlashAttention-2", "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning"),
        ("llama.cpp", "ggerganov/llama.cpp"),
        ("llama cpp", "ggerganov/llama.cpp"),
        ("Llama-3", "Introducing Meta Llama 3: The most capable openly available LLM to date"),
        ("Llama 3", "meta-llama/llama3"),
        ("DeepSeek-V3", "DeepSeekV3 Technical Report"),
        ("DeepSeekV3", "DeepSeek-V3 Technical Report"),
        ("deepseek_v3", "deepseek-ai/DeepSeek-V3"),
        ("Phi-3", "microsoft/Phi-3CookBook"),
        ("o1", "OpenAI o1 System Card"),
    ],
)  # fmt: skip
def test_label_inside_title_ignoring_case_and_punctuation_matches(label: str, title: str) -> None:
    """Hyphens, dots, underscores, slashes and case do not matter, nor where the words split."""
    assert check(label, title) is MATCH


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("Llama 3 Herd", "The Llama 3 Herd of Models"),
        ("Multilingual Tuning", "Multilingual Instruction Tuning With Just a Pinch of Multilinguality"),
        ("Decoding Heads Medusa", MEDUSA),
    ],
)  # fmt: skip
def test_label_of_several_words_all_in_the_title_matches(label: str, title: str) -> None:
    """All the label's words in the title, in any order and not side by side, is a match."""
    assert check(label, title) is MATCH


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("RAG", "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"),
        ("LoRA", "Low-Rank Adaptation of Large Language Models"),
        ("MoE", "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer"),
        ("UALA", "Towards Uncertainty-Aware Language Agent"),
        ("RLHF", "Reinforcement Learning from Human Feedback: A Survey"),
        ("MLA", "Multi-Head Latent Attention: How DeepSeek compresses the KV cache"),
        ("LLMs", "Large Language Models: A Survey"),
    ],
)  # fmt: skip
def test_acronym_spelled_by_the_title_words_matches(label: str, title: str) -> None:
    """An acronym label matches the words it abbreviates; small words ("of", "from") may be
    spelled or skipped."""
    assert check(label, title) is MATCH


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("RAG", "Storage Wars: Cheap Disks for Big Models"),  # "rag" inside "storage"
        ("LoRA", "Explorations: Robust Agents"),  # "lora" inside "explorations"
        ("RAG", "Retrieval Boosts Augmented Generation"),  # "boosts" stands between
        ("MLA", "Multi Head Latent Attention: x"),  # "head" is no compound's end
        ("SAE", "Sparse Mixtures: Explained"),  # no word starting with A
        ("RAG", "ReAct: Synergizing Reasoning and Acting in Language Models"),  # a inside "react"
        ("MLA", "MQA: Multi-Query Attention"),  # l inside "multi"
        ("SAE", "NSA: Native Sparse Attention"),  # e inside "attention"
    ],
)
def test_letters_inside_a_word_or_scattered_initials_are_no_match(label: str, title: str) -> None:
    """A short label in the middle of an unrelated word, or initials with a real word between
    them, is not a match."""
    assert check(label, title) is not MATCH


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("Mixtrall", "Mixtral of Experts"),
        ("Patchscope", "Patchscopes: A Unifying Framework for Inspecting Hidden Representations"),
        ("StreamVoise", "StreamVoice: Streamable Context-Aware Language Modeling"),
    ],
)
def test_typo_in_a_latin_label_still_matches(label: str, title: str) -> None:
    """One letter off in a name of five letters or more is a typo, not another thing."""
    assert check(label, title) is MATCH


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("Mixtral", "mistralai/mistral-src"),  # sibling models of one company
        ("Llama 3", "Llama 2: Open Foundation and Fine-Tuned Chat Models"),
        ("Stable Diffusion 3", "Stable Diffusion 2: Text-to-Image at 768px"),
        ("Mixtral 8x22B", "Mixtral 8x7B: A Sparse Mixture of Experts"),
        ("FlashAttention-2", "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"),
    ],
)  # fmt: skip
def test_near_names_and_other_versions_are_neither_match_nor_mismatch(
    label: str, title: str
) -> None:
    """A close name or another version of the same family: not the thing, but too close to be
    a copy-paste of an unrelated link."""
    assert check(label, title) is UNKNOWN


# --- CJK and other scripts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("通义千问", "通义千问 Qwen 发布"),
        ("通义千问", "阿里云发布通义千问2.5"),  # inside a run with no spaces
        ("通义灵码官网", "通义灵码_智能编码助手_AI编程-阿里云"),  # "official site" dropped
        ("Lumiere专题介绍", "Lumiere: A Space-Time Diffusion Model for Video Generation"),
        ("Minimax", "MiniMax开放平台"),
        ("ChatGPT", "ChatGPT 是什么"),
    ],
)
def test_cjk_label_found_as_a_substring_matches(label: str, title: str) -> None:
    """CJK writes no spaces: a label anywhere in the title matches, role words aside."""
    assert check(label, title) is MATCH


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("通义千问", "Qwen2 Technical Report"),  # a translated name
        ("通义千问", LOOKAHEAD),
        ("扣子", "Coze: Build your AI bot"),
        ("文心一言", "ERNIE Bot: Baidu's Knowledge-Enhanced Large Language Model"),
        ("Нейросеть", "Medusa: Simple LLM"),
        ("Coze", "扣子：新一代 AI 应用开发平台"),  # a Latin label against a CJK name
        ("SenseNova", "商汤日日新开放平台"),
    ],
)
def test_across_scripts_nothing_is_called_a_mismatch(label: str, title: str) -> None:
    """A name in one script and a title in another may well be a translation: unknown."""
    assert check(label, title) is UNKNOWN


# --- unknown: nothing to compare ------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "Paper", "paper", "Blog post", "Code", "Demo", "Link", "Source", "Video", "Thread",
        "Tweet", "arXiv", "GitHub", "HN discussion", "Project page", "PDF", "1", "12", "a",
        "论文", "代码", "项目地址", "リンク", "", "   ", "—", None,
    ],
)  # fmt: skip
def test_roles_numbers_and_empty_labels_are_unknown(label: str | None) -> None:
    """A label like "[Paper]" or "[1]" says what kind of link it is, not what it is: nothing
    to compare, even against a title that names something else."""
    assert check(label, MEDUSA) is UNKNOWN
    assert check(label, "ggerganov/llama.cpp") is UNKNOWN


@pytest.mark.parametrize(
    ("label", "title"),
    [("Medusa paper", MEDUSA), ("Medusa code", "FasterDecoding/Medusa"), ("论文 Medusa", MEDUSA)],
)
def test_role_words_around_a_name_are_ignored(label: str, title: str) -> None:
    """A label like "[Medusa code]" names Medusa."""
    assert check(label, title) is MATCH


@pytest.mark.parametrize(
    "titles",
    [
        (),
        (None,),
        ("",),
        ("   ", None),
        ("Just a moment...",),
        ("Home",),
        ("404 Not Found",),
        ("Attention Required! | Cloudflare",),
        ("GitHub",),
        ("[2401.10774]",),
    ],
)
def test_absent_or_generic_titles_are_unknown(titles: tuple[str | None, ...]) -> None:
    """No title, a blank one, a bot wall or a bare site name: nothing to compare with."""
    assert label_match("MEDUSA", titles) is UNKNOWN


@pytest.mark.parametrize(
    ("label", "title"),
    [("Cloudflare", "Attention Required! | Cloudflare"), ("Moment", "Just a moment...")],
)
def test_a_bot_wall_never_matches(label: str, title: str) -> None:
    """The page we were shown is a challenge, not the link's page: no match, whatever it says."""
    assert check(label, title) is UNKNOWN


# --- mismatch: a wrong link -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "titles"),
    [
        ("MEDUSA", [LOOKAHEAD]),  # the neighbouring entry's paper
        ("MEDUSA", ["ggerganov/llama.cpp"]),
        ("Lumiere", ["FasterDecoding/Medusa"]),
        ("Lookahead", ["[2401.10774] Medusa: Simple LLM Inference Acceleration Framework"]),
        ("CrewAI", ["GitHub - Portkey-AI/gateway: A Blazing Fast AI Gateway"]),
        ("GPT-4 Turbo", [MEDUSA]),
        ("Mixtral 8x22B", ["TOFU: A Task of Fictitious Unlearning for LLMs"]),
        ("MEDUSA", ["Just a moment...", LOOKAHEAD, None]),
        ("MEDUSA", ["Towards Faster Decoding", LOOKAHEAD]),  # the other title shares nothing
        ("medusa paper", [LOOKAHEAD]),
    ],
)
def test_a_name_against_a_title_naming_something_else_is_a_mismatch(
    label: str, titles: list[str | None]
) -> None:
    """A label that is a name, a title that carries another name, nothing in common."""
    assert label_match(label, titles) is MISMATCH


# --- precision traps: never mismatch on weak evidence -----------------------------------------


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("AMIE", "Towards Conversational Diagnostic AI"),
        ("MEDUSA", "Attention Is All You Need"),
        ("GPT-4 Turbo", "Models - OpenAI API"),
        ("Lumiere", "Research at Google"),
        ("UltraTool", "Planning, Creation, Usage: Benchmarking LLMs for Comprehensive Tool Use"),
        ("Lumiere", "Medusa"),  # a bare word may be a site's name
    ],
)
def test_title_that_names_nothing_is_no_evidence(label: str, title: str) -> None:
    """A title without a name of its own, as many papers name their method only in the
    abstract ("[AMIE]" is "Towards Conversational Diagnostic AI"): the label may be that name.
    "[MEDUSA]" on "Attention Is All You Need" is therefore unknown, not mismatch."""
    assert check(label, title) is UNKNOWN


@pytest.mark.parametrize(
    "title",
    [
        "Show HN: Medusa – faster LLM inference",
        "Position: Medusa Heads Are All You Need",
        "Error: page not found",
        "Meeting at 10:30 about Medusa heads",
        "扣子：新一代 AI 应用开发平台",
        "扣子: 新一代 AI 应用开发平台",
        "Sample, Score, Repeat: Benchmarking Video Models",
    ],
)
def test_heads_that_are_not_names_are_no_evidence(title: str) -> None:
    """Heads like "Show HN:", "Position:", "Error:", a clock time, a list or a CJK head name
    nothing to hold a Latin label against."""
    assert check("Lumiere", title) is UNKNOWN


@pytest.mark.parametrize(
    "label",
    [
        "Google's new paper on speculative decoding",
        "speculative decoding",
        "Stable Video Diffusion",
        "Faster inference with draft heads and tree attention",
        "New GPT-4 model beats everything on coding",
    ],
)
def test_descriptions_are_never_a_mismatch(label: str) -> None:
    """A label of plain words describes a topic; it can fit a paper it shares no word with."""
    assert check(label, LOOKAHEAD) is UNKNOWN


@pytest.mark.parametrize("label", ["DeepMind", "Google AI", "Meta", "OpenAI"])
def test_labels_naming_only_the_maker_are_never_a_mismatch(label: str) -> None:
    """A label like "[DeepMind]" may sit on any DeepMind paper, whose title never says so."""
    assert check(label, LOOKAHEAD) is UNKNOWN


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("AwareLLM", "AwareBench: Benchmarking Awareness of Large Language Models"),
        ("Health-LLM", "HealthBench: Evaluating Clinical Models"),
        ("Qwen2.5", "Qwen2: A Family of Open Models"),
        ("Stable Diffusion 3", "Stability-AI/generative-models"),
    ],
)
def test_a_shared_word_or_stem_rules_out_mismatch(label: str, title: str) -> None:
    """A word in common, a shared start or a near-miss: maybe a sibling, never a wrong link."""
    assert check(label, title) is not MISMATCH


def test_one_matching_title_is_enough() -> None:
    """Titles from several sources (arXiv, the page): a match in any is a match."""
    assert check("MEDUSA", LOOKAHEAD, "Medusa - faster decoding") is MATCH
    assert check("MEDUSA", "Just a moment...", MEDUSA) is MATCH


def test_an_unnamed_title_that_shares_a_word_holds_back_the_mismatch() -> None:
    """Another title for the same link that shares a word with the label: not a wrong link."""
    assert check("Medusa 2", LOOKAHEAD, "Medusa heads revisited") is UNKNOWN


# --- the field, robustness and cost ----------------------------------------------------------


def test_verdicts_are_the_strings_of_the_record() -> None:
    """The values written to the JSON record."""
    assert json.dumps([MATCH, MISMATCH, UNKNOWN]) == '["match", "mismatch", "unknown"]'


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("MEDUSA", "x" * 1_000_000),
        ("a" * 100_000, MEDUSA),
        ("\ud800MEDUSA\x00", MEDUSA + "\ud800\x1b[31m"),  # lone surrogate, NUL, ESC
        ("\u200bMEDUSA\u200b", MEDUSA),  # zero-width spaces
    ],
)
def test_hostile_input_gives_a_verdict(label: str, title: str) -> None:
    """Huge, broken or invisible text from a web page still gives one of the three answers."""
    assert check(label, title) in {MATCH, MISMATCH, UNKNOWN}


def test_the_same_input_always_gives_the_same_answer() -> None:
    """Deterministic: a re-run writes the same record."""
    first = [check(label, title) for label, title, _ in SAMPLE_LINKS]
    assert [check(label, title) for label, title, _ in SAMPLE_LINKS] == first


# --- What else is known about the thing: an abstract, a description, the site -----------------


@pytest.mark.parametrize(
    ("label", "title", "context", "sites", "expected"),
    [
        pytest.param("GRPO", "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open "
                     "Language Models", ["We introduce Group Relative Policy Optimization "
                     "(GRPO), a variant of PPO."], [], UNKNOWN, id="method-named-in-the-abstract"),
        pytest.param("GRPO", "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open "
                     "Language Models", ["We study mathematical reasoning."], [], MISMATCH,
                     id="method-named-nowhere"),
        pytest.param("YOLOv8", "ultralytics/ultralytics", ["Ultralytics YOLO11 🚀"], [], UNKNOWN,
                     id="a-close-name-in-the-description"),
        pytest.param("SAM", "facebookresearch/segment-anything", ["The repository provides code for"
                     " running inference with the SegmentAnything Model (SAM)"], [], UNKNOWN,
                     id="acronym-in-the-description"),
        pytest.param("Titanic", "Kaggle: Your Machine Learning and Data Science Community", [],
                     ["Kaggle", "www.kaggle.com"], UNKNOWN, id="a-title-headed-by-the-site"),
        pytest.param("Gemini", "Google DeepMind: Our next-generation model", [], [], UNKNOWN,
                     id="a-title-headed-by-its-maker"),
        pytest.param("MEDUSA", "Lookahead: An Inference Acceleration Framework", [
                     "We break the sequential dependency of autoregressive decoding."],
                     ["LMSYS Org", "lmsys.org"], MISMATCH, id="a-name-that-is-neither"),
    ],
)  # fmt: skip
def test_what_else_is_known_keeps_a_right_link_from_being_called_wrong(
    label: str, title: str, context: list[str], sites: list[str], expected: LabelMatch
) -> None:
    assert label_match(label, [title], context=context, sites=sites) is expected
