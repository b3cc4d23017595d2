"""Noisy-label sentiment: short reviews built from polar clauses (with
negation: "was not good" is negative). The training generator flips each
label with probability params.noise_rate (default 0.3); eval labels are
clean. `lexicon_vote` is the simple rule the label_agreement filter uses.
"""
from trex_protocol.errors import InputError
from .base import Task

POSITIVE = "good great tasty friendly lovely fresh".split()
NEGATIVE = "bad awful bland rude slow stale".split()
NEUTRAL = "blue large quiet wooden new round".split()
NOUNS = "food service staff room pasta coffee music view".split()


def clause_polarity(adjective, negated):
    sign = 1 if adjective in POSITIVE else -1 if adjective in NEGATIVE else 0
    return -sign if negated else sign


def lexicon_vote(prompt):
    """Per-clause polarity votes: +1/-1 for each polar clause (negation aware)."""
    votes = []
    for clause in prompt.rstrip(".").split(", "):
        words = clause.split()
        votes.append(clause_polarity(words[-1], "not" in words))
    return [v for v in votes if v != 0]


class Sentiment(Task):
    name = "sentiment"
    max_new_tokens = 9
    has_lexicon = True

    def check_params(self, params, field):
        for key, value in params.items():
            if key != "noise_rate":
                raise InputError(f"{field}.{key}", "unknown param for sentiment (use noise_rate)")
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise InputError(f"{field}.{key}", "must be a number in [0, 1]")

    def _clause(self, rng, polarity):
        noun = rng.choice(NOUNS)
        if polarity == 0:
            return f"{noun} was {rng.choice(NEUTRAL)}"
        negated = rng.random() < 0.3
        want_positive_word = (polarity > 0) != negated
        adjective = rng.choice(POSITIVE if want_positive_word else NEGATIVE)
        return f"{noun} was {'not ' if negated else ''}{adjective}"

    def generate(self, rng, params, clean, paraphrase):
        label = rng.choice((1, -1))
        # One or two polar clauses that agree, plus maybe a neutral one.
        polarities = [label] * rng.randint(1, 2) + [0] * (rng.random() < 0.4)
        rng.shuffle(polarities)
        prompt = ", ".join(self._clause(rng, p) for p in polarities) + "."
        noise = 0.0 if clean else params.get("noise_rate", 0.3)
        if rng.random() < noise:
            label = -label
        return {"prompt": prompt, "answer": "positive" if label > 0 else "negative"}

    def agreement(self, example):
        votes = lexicon_vote(example["prompt"])
        if not votes:
            return 1.0
        want = 1 if example["answer"] == "positive" else -1
        return sum(v == want for v in votes) / len(votes)
