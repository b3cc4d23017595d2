"""Turns raw source rows into examples {system, prompt, response, rejected}.
A mapping value is either a field name (`sentence`, dotted `meta.title`) or a
template with fields in braces (`Review: {sentence}`). `params.values` maps raw
values to text (e.g. label 0 -> negative); list values become `a; b` (empty: none).
Without a mapping, common field names are detected."""
import re

from trex_protocol.errors import InputError

DEFAULT_FIELDS = {
    "prompt": ("prompt", "instruction", "question", "query", "input", "text", "sentence", "dialogue"),
    "response": ("response", "output", "answer", "completion", "target", "label", "note"),
    "system": ("system",),
    "rejected": ("rejected",),
}
_FIELD_RE = re.compile(r"\{([A-Za-z0-9_.]+)\}")
LIST_SEPARATOR = "; "
EMPTY_LIST = "none"  # an empty label list (multi-label "no label") must still be a visible answer


def _lookup(row, path):
    value = row
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _to_text(value, field, value_map):
    if value is None:
        return None
    table = value_map.get(field, {})
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(table.get(str(v), v)) for v in value) or EMPTY_LIST
    return str(table.get(str(value), value))


def render_value(row, spec, value_map):
    """A field name or a `{field}` template -> text, or None when a field is missing."""
    if "{" not in spec:
        return _to_text(_lookup(row, spec), spec, value_map)
    missing = []

    def sub(m):
        text = _to_text(_lookup(row, m.group(1)), m.group(1), value_map)
        if text is None:
            missing.append(m.group(1))
            return ""
        return text
    text = _FIELD_RE.sub(sub, spec)
    return None if missing else text


def _detect(row, role):
    if role == "prompt" and row.get("instruction") and row.get("input"):
        return "{instruction}\n\n{input}"  # alpaca-style rows carry the task in two fields
    for name in DEFAULT_FIELDS[role]:
        if name in row and row[name] is not None:
            return name
    return None


def effective_mapping(mapping, params):
    merged = dict(mapping or {})
    merged.update(params.get("mapping") or {})
    return merged


def map_row(row, mapping, value_map, field, needs_response=True):
    """One raw row -> example dict, or None when a mapped field is missing in this row."""
    if not isinstance(row, dict):
        raise InputError(field, f"rows must be objects, got {type(row).__name__}")
    out = {}
    for role in ("prompt", "response", "system", "rejected"):
        spec = mapping.get(role) or _detect(row, role)
        if spec is None:
            if role == "prompt" or (role == "response" and needs_response):
                raise InputError(f"{field}.mapping.{role}", f"no mapping and no usual field found; row fields are {sorted(row)[:12]}")
            continue
        out[role] = render_value(row, spec, value_map)
        if out[role] is None and role in ("prompt", "response"):
            return None
    return out
