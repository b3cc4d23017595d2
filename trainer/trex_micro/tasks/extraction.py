"""Structured extraction: a sentence with a person's name, age and city in
one of many phrasings -> "name=Alice;age=34;city=Paris".

Eval uses every phrasing; training uses only the first two unless the
recipe turns on augmentation.paraphrase, so paraphrase coverage is the knob.
"""
from trex_protocol.errors import InputError
from .base import Task

NAMES = "Alice Bob Carla Hugo Ines Liam Maya Noah Olga Rosa Sami Zoe".split()
CITIES = "Paris Lima Oslo Rome Cairo Tokyo Delhi Berlin Madrid Seoul Dakar Milan".split()
PHRASINGS = (
    "{name} is {age} and lives in {city}.",
    "{name}, {age}, lives in {city}.",
    "{city} is home to {name}, {age}.",
    "At {age}, {name} moved to {city}.",
    "{name} ({age}) works in {city}.",
    "In {city}, {name} is {age}.",
)
TRAIN_ONLY_PHRASINGS = 2


class Extraction(Task):
    name = "extraction"
    max_new_tokens = 32

    def check_params(self, params, field):
        for key in params:
            raise InputError(f"{field}.{key}", "extraction takes no params")

    def generate(self, rng, params, clean, paraphrase):
        name, city, age = rng.choice(NAMES), rng.choice(CITIES), rng.randint(20, 69)
        pool = PHRASINGS if (clean or paraphrase) else PHRASINGS[:TRAIN_ONLY_PHRASINGS]
        prompt = rng.choice(pool).format(name=name, age=age, city=city)
        return {"prompt": prompt, "answer": f"name={name};age={age};city={city}"}
