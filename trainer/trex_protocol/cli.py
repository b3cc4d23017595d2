"""The exit-code contract every trainer command keeps with the engine: 0 done, 2 bad input (one
line naming the field), 130 interrupted, 1 any other failure (one line; TREX_DEBUG=1 re-raises
for the traceback)."""
import os
import sys

from .errors import InputError


def add_command(sub, name, help, paths=(), optional=()):
    """A subcommand whose path flags the engine fills in: each of paths required, each of optional
    defaulting to None (e.g. --predictions)."""
    s = sub.add_parser(name, help=help)
    for flag in paths:
        s.add_argument(f"--{flag}", required=True)
    for flag in optional:
        s.add_argument(f"--{flag}", default=None)
    return s


def run_command(prog, parser, run, argv):
    """Parses argv with parser, calls run(args) and maps what it raises to an exit code; run may
    return a code of its own (a framework command's exit status)."""
    args = parser.parse_args(argv)
    try:
        code = run(args)
    except InputError as e:
        print(f"{prog} {args.command}: invalid input: {e}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print(f"{prog} {args.command}: interrupted", file=sys.stderr, flush=True)
        return 130
    except Exception as e:  # one clear line for the engine, not a traceback
        print(f"{prog} {args.command}: error: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        if os.environ.get("TREX_DEBUG"):
            raise
        return 1
    return code or 0


def require_train_data(data_dir):
    """The train command's --data must be a prepared data dir."""
    if not os.path.exists(os.path.join(data_dir, "train.jsonl")):
        raise InputError("data", f"no train.jsonl in {data_dir}")
