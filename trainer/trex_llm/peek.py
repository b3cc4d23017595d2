"""`peek-source`: a cheap look at one recipe source before a node that adds it is queued. Loads
the first few rows (a Hugging Face dataset streamed, so nothing is downloaded in full; a file read
as prepare reads it), applies the recipe's mapping as prepare does, and reports the columns, how
many rows mapped and a few mapped examples. No rows, or rows the mapping cannot use, is bad input
with the reason (a missing column names the columns there are)."""
import itertools

from trex_protocol.errors import InputError

from .mapping import effective_mapping, map_row
from .sources import check_source_path, hf_load_error, read_file_rows, require_datasets, _local_path

MAX_ROWS = 200
SHOWN = 3
TEXT_CHARS = 200


def _hf_rows(src, n):
    require_datasets(src)
    from datasets import load_dataset
    try:
        ds = load_dataset(src["dataset"], src["subset"], split=src["split"], streaming=True)
        return [dict(r) for r in itertools.islice(ds, n)]
    except Exception as e:
        raise hf_load_error(src, e)


def _rows(src, n, cache_dir):
    if src["kind"] == "hf":
        return _hf_rows(src, n)
    if src["kind"] == "file":
        check_source_path(src["path"], src["field"] + ".path")
        return read_file_rows(_local_path(src["path"], cache_dir, src["field"]), f"{src['field']}.path")[:n]
    raise InputError(f"{src['field']}.kind", f"only hf and file sources can be peeked, not {src['kind']!r}")


def _columns(rows):
    seen = []
    for r in rows:
        for k in (r if isinstance(r, dict) else {}):
            if k not in seen:
                seen.append(k)
    return seen


def peek_source(recipe, index, n, cache_dir):
    """Loads up to n rows of recipe["sources"][index] and maps them; returns the report (a dict)."""
    sources = recipe["sources"]
    if not 0 <= index < len(sources):
        raise InputError("source", f"no source {index} (the recipe has {len(sources)})")
    src = sources[index]
    rows = _rows(src, max(1, min(int(n), MAX_ROWS)), cache_dir)
    if not rows:
        raise InputError(src["field"], f"{src.get('dataset') or src.get('path')!r} gave no rows "
                                       f"(split {src['split']!r})" if src["kind"] == "hf" else "the file has no rows")
    columns = _columns(rows)
    mapping = effective_mapping(recipe["mapping"], src["params"])
    values = src["params"].get("values", {})
    mapped = [ex for ex in (map_row(r, mapping, values, src["field"]) for r in rows) if ex is not None]
    if not mapped:
        wanted = {role: spec for role, spec in mapping.items() if spec}
        raise InputError(f"{src['field']}.mapping",
                         f"none of the first {len(rows)} rows fits the mapping {wanted or '(detected)'}: "
                         f"the rows have the columns {columns}")
    return {
        "source": src["name"],
        "kind": src["kind"],
        "rows": len(rows),
        "mapped": len(mapped),
        "columns": columns,
        "examples": [{"prompt": ex["prompt"][:TEXT_CHARS], "response": (ex["response"] or "")[:TEXT_CHARS]}
                     for ex in mapped[:SHOWN]],
    }
