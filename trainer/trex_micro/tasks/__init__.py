"""Registry of micro tasks by generator name."""
from trex_protocol.errors import InputError
from .addition import Addition
from .dates import Dates
from .extraction import Extraction
from .sentiment import Sentiment

TASKS = {t.name: t for t in (Addition(), Sentiment(), Extraction(), Dates())}


def get_task(name, field="task.generator"):
    if name not in TASKS:
        raise InputError(field, f"unknown generator {name!r}; supported: {sorted(TASKS)}")
    return TASKS[name]
