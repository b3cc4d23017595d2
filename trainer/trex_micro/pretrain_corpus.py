"""Synthetic generic pretraining text: English-like prose, numbers in words
and digits, "key: value" lines, lists and dates in prose.

Deliberately contains none of the fine-tuning task formats (no "a+b=",
no "name=..;age=..", no ISO dates, no sentiment labels), so the base model
knows characters and word shapes but is weak at every task before tuning.
"""
import random

NOUNS = ("time year people way day man thing woman life child world school state family "
         "student group country problem hand part place case week company system program "
         "question work government number night point home water room mother area money "
         "story fact month lot right study book eye job word business issue side kind head "
         "house service friend father power hour game line end member law car city name "
         "team minute idea kid body information back parent face others level office door "
         "health person art war history party result change morning reason research girl "
         "guy moment air teacher force education river garden window table letter train").split()
VERBS = ("is was has had makes made takes took sees saw finds found gives gave tells told "
         "becomes became leaves left feels felt brings brought begins began keeps kept holds "
         "held writes wrote stands stood hears heard lets meant sets set meets met runs ran "
         "pays paid sits sat speaks spoke reads read grows grew opens opened walks walked").split()
ADJECTIVES = ("other new old great high small large long little own young early important few "
              "public same able late hard major better economic strong possible whole free "
              "military true federal full special easy clear recent certain personal open red "
              "difficult available likely short single medical current wrong private past "
              "foreign fine common poor natural significant similar hot dead central happy "
              "serious ready simple left physical general environmental financial blue").split()
ADVERBS = "quickly slowly often rarely always never soon later again together almost".split()
PREPS = "in on at with from into during after before under over between through".split()
DETS = "the a this that every some one another".split()
KEYS = "color size owner status level mode kind region topic price weight room".split()
MONTHS = ("January February March April May June July August September October "
          "November December").split()


def _sentence(rng):
    words = [rng.choice(DETS), rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS)]
    if rng.random() < 0.5:
        words.append(rng.choice(ADVERBS))
    words += [rng.choice(PREPS), rng.choice(DETS), rng.choice(NOUNS)]
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".!?")


def _numbers(rng):
    n = rng.randint(2, 5000)
    templates = [
        f"There were {n} {rng.choice(NOUNS)}s in the {rng.choice(NOUNS)}.",
        f"The {rng.choice(NOUNS)} costs {n} coins, about {n // 2} each.",
        f"Room {rng.randint(1, 99)} holds {n} people on floor {rng.randint(1, 9)}.",
        f"Count {rng.randint(1, 99)} to {rng.randint(100, 999)} and then stop.",
    ]
    return rng.choice(templates)


def _key_values(rng):
    keys = rng.sample(KEYS, rng.randint(2, 4))
    return "\n".join(f"{k}: {rng.choice(ADJECTIVES + NOUNS)}" for k in keys)


def _list(rng):
    items = rng.sample(NOUNS, rng.randint(2, 5))
    if rng.random() < 0.5:
        return "\n".join(f"- {item}" for item in items)
    return "We need " + ", ".join(items[:-1]) + " and " + items[-1] + "."


def _date_prose(rng):
    month, day, year = rng.choice(MONTHS), rng.randint(1, 28), rng.randint(1900, 2030)
    return rng.choice([
        f"The {rng.choice(NOUNS)} opened in {month} {year}.",
        f"On the {day}th day of {month}, the {rng.choice(NOUNS)} {rng.choice(VERBS)} ready.",
        f"In {year} the {rng.choice(NOUNS)} was {rng.choice(ADJECTIVES)}.",
    ])


def build_corpus(seed, num_paragraphs):
    rng = random.Random(seed)
    makers = [_sentence, _sentence, _sentence, _numbers, _key_values, _list, _date_prose]
    paragraphs = []
    for _ in range(num_paragraphs):
        paragraphs.append(" ".join(rng.choice(makers)(rng) for _ in range(rng.randint(1, 3))))
    return "\n\n".join(paragraphs) + "\n"
