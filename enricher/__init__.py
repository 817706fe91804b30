"""enricher: link checking and metadata enrichment for AI-news digests.

Run it with ``python -m enricher [PATH ...]``; call it from code with ``pipeline.run``.
"""

__version__ = "0.1.0"
