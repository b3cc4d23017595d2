"""Field-by-field validation of the engine's JSON inputs. Every problem raises InputError naming
the field (e.g. `filters[1].kind`), so the command exits 2 with one clear line."""
from .errors import InputError


def get(obj, key, field, types, default=None, required=False):
    if not isinstance(obj, dict):
        raise InputError(field.rsplit(".", 1)[0] or field, "must be an object")
    if key not in obj or obj[key] is None:
        if required:
            raise InputError(field, "is required")
        return default
    value = obj[key]
    allowed = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in allowed:
        raise InputError(field, f"expected {_names(allowed)}, got {value!r}")
    if not isinstance(value, allowed):
        raise InputError(field, f"expected {_names(allowed)}, got {value!r}")
    return value


def number(obj, key, field, default=None, required=False, lo=None, hi=None):
    value = get(obj, key, field, (int, float), default, required)
    if value is not None and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        raise InputError(field, f"must be in [{lo}, {hi}], got {value!r}")
    return value


def choice(obj, key, field, options, default=None, required=False):
    value = get(obj, key, field, str, default, required)
    if value not in options:
        raise InputError(field, f"must be one of {list(options)}, got {value!r}")
    return value


def present(obj, key, field):
    """A key the engine always renders; its value may be null (e.g. max_steps: null = use epochs)."""
    if not isinstance(obj, dict):
        raise InputError(field.rsplit(".", 1)[0] or field, "must be an object")
    if key not in obj:
        raise InputError(field, "is missing from the rendered config (the engine writes every field)")
    return obj[key]


def _names(types):
    return " or ".join(getattr(t, "__name__", str(t)) for t in types)
