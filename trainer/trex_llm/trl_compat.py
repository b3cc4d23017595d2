"""Runs TRL's CLI (`trl sft|dpo ...`) with a fix for TRL <= 0.24 under transformers >= 5.

TRL 0.24 (the newest LLaMA-Factory 0.9.5 allows) reads optional packages with
transformers' `_is_package_available(name)`, which transformers 5 changed to
return a `(available, version)` tuple: every optional package then counts as
installed and `trl sft` dies importing `mergekit`. Here the function answers a
bool again when no version is asked for, then TRL's own `main()` runs.
    python3 trl_compat.py sft --config sft.yaml"""
import sys


def patch():
    from transformers.utils import import_utils

    original = import_utils._is_package_available

    def is_available(name, return_version=False, *args, **kwargs):
        found = original(name, return_version, *args, **kwargs) if return_version else original(name, *args, **kwargs)
        if not return_version and isinstance(found, tuple):
            return found[0]
        return found

    # Only TRL's module sees the bool version (it binds the name at import); transformers'
    # own callers index the tuple, so the original goes back at once.
    import_utils._is_package_available = is_available
    try:
        import trl.import_utils  # noqa: F401
    finally:
        import_utils._is_package_available = original


def main():
    patch()
    from trl.cli import main as trl_main
    sys.argv[0] = "trl"
    return trl_main()


if __name__ == "__main__":
    sys.exit(main())
