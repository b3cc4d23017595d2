"""Date normalization to ISO ("March 5, 2021" -> "2021-03-05").

Two styles of source: `easy` (ISO-like numeric, year first) and `hard`
(spelled-out or abbreviated months, US month/day/year). Eval mixes all
formats evenly, so the recipe's source weights and total decide coverage.
"""
from trex_protocol.errors import InputError
from .base import Task

MONTHS = ("January February March April May June July August September October "
          "November December").split()
EASY = ("{y}.{m:02d}.{d:02d}", "{y}/{m:02d}/{d:02d}", "{y} {m:02d} {d:02d}")
HARD = ("{M} {d}, {y}", "{d} {M} {y}", "{Mon} {d}, {y}", "{d} {Mon} {y}", "{m:02d}/{d:02d}/{y}")
STYLES = {"easy": EASY, "hard": HARD, "all": EASY + HARD}
DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Dates(Task):
    name = "dates"
    max_new_tokens = 11

    def check_params(self, params, field):
        for key, value in params.items():
            if key != "style":
                raise InputError(f"{field}.{key}", "unknown param for dates (use style)")
            if value not in STYLES:
                raise InputError(f"{field}.{key}", f"must be one of {sorted(STYLES)}")

    def generate(self, rng, params, clean, paraphrase):
        style = "all" if clean else params.get("style", "all")
        y, m = rng.randint(1950, 2049), rng.randint(1, 12)
        d = rng.randint(1, DAYS[m - 1])
        fmt = rng.choice(STYLES[style])
        prompt = fmt.format(y=y, m=m, d=d, M=MONTHS[m - 1], Mon=MONTHS[m - 1][:3])
        return {"prompt": prompt, "answer": f"{y}-{m:02d}-{d:02d}"}
