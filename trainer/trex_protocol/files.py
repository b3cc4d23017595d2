"""JSON / JSONL helpers. Every write is tmp + rename so a crash never leaves a
half-written file for the engine (or the next stage) to trip over."""
import json
import os
import shutil
import tempfile

from .errors import InputError


def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(what, f"file not found: {path}")
    except json.JSONDecodeError as e:
        raise InputError(what, f"invalid JSON in {path}: {e}")
    if not isinstance(data, dict):
        raise InputError(what, f"{path} must contain a JSON object")
    return data


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_text_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json_atomic(path, data):
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_jsonl_atomic(path, rows):
    write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def write_dir_atomic(out_dir, jsonl_files, json_files):
    """A whole data dir ({name: rows} as JSONL, {name: doc} as JSON), built beside it and renamed
    into place: the engine never sees a half-prepared dir, and re-preparing replaces the old one."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".tmp-prepare-")
    try:
        for name, rows in jsonl_files.items():
            write_jsonl_atomic(os.path.join(tmp, name), rows)
        for name, doc in json_files.items():
            write_json_atomic(os.path.join(tmp, name), doc)
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fresh_dir(path):
    """An empty folder at `path`: what a previous run left there is removed first."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
