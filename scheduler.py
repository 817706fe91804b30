#!/usr/bin/env python3
"""The background job: keeps every digest's record fresh on a schedule.

``python scheduler.py [options]`` is ``python -m enricher schedule [options]`` (and the
``enricher-scheduler`` console script): see ``--help``.
"""

import sys

from enricher.cli import main

if __name__ == "__main__":
    sys.exit(main(["schedule", *sys.argv[1:]]))
