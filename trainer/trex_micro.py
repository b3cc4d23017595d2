#!/usr/bin/env python3
"""Entry point: `python3 trainer/trex_micro.py <subcommand> ...` from any cwd.

The code lives in the `trex_micro` package next to this file; we put this
directory on sys.path so the script works without installation.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from trex_micro.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
