#!/usr/bin/env python3
"""Generate a small, deterministic English toy corpus for embedding tests.

The corpus describes a made-up but internally consistent little world:
countries with their capitals, languages, currencies, rivers and dishes;
animals with their young and their sounds; colours; the number words
one..twelve; plus some people, places and filler.  Sentences are produced
from templates, one sentence per line, lowercase, tokens separated by a
single space, no punctuation.

Entities are sampled uniformly inside every template so that frequencies are
balanced.  Each capital is tied to its own country through shared specific
contexts: the "identity" templates (language, currency, river, dish) are
filled with either the country or its capital at random, so both see the
same country-specific contexts.  Capitals and countries also have many
generic "type" contexts of their own, so that a skip-gram model learns both
the clusters (capitals near capitals, ...) and the planted analogies
(france : paris :: italy : rome, ...).  Animals and their young are tied in
the same way.  No template names two different countries, capitals or
animals: such pairs add random pairwise pulls that drown the analogy
offsets.

Besides the corpus, the script writes:
  * <stem>_questions.txt  analogy questions in the format of Google's
                          questions-words.txt (": section" headers, then
                          "a b c d" lines);
  * <stem>_groups.json    the planted neighbour groups.

Standard library only.  Usage:

    python3 scripts/make_toy_corpus.py [--seed 0] [--sentences N] [-o PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

# ---------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------

# country, capital, language, currency, river, dish
COUNTRIES = [
    ("france", "paris", "french", "franc", "seine", "croissant"),
    ("italy", "rome", "italian", "lira", "tiber", "pasta"),
    ("spain", "madrid", "spanish", "peseta", "tagus", "paella"),
    ("germany", "berlin", "german", "mark", "spree", "sausage"),
    ("japan", "tokyo", "japanese", "yen", "sumida", "sushi"),
    ("egypt", "cairo", "arabic", "pound", "nile", "koshari"),
    ("kenya", "nairobi", "swahili", "shilling", "athi", "ugali"),
    ("peru", "lima", "quechua", "sol", "rimac", "ceviche"),
    ("canada", "ottawa", "english", "dollar", "rideau", "poutine"),
    ("russia", "moscow", "russian", "ruble", "volga", "borscht"),
    ("china", "beijing", "chinese", "yuan", "yangtze", "dumpling"),
    ("greece", "athens", "greek", "drachma", "kifisos", "moussaka"),
    ("norway", "oslo", "norwegian", "krone", "glomma", "lutefisk"),
    ("poland", "warsaw", "polish", "zloty", "vistula", "pierogi"),
    ("brazil", "brasilia", "portuguese", "real", "amazon", "feijoada"),
    ("india", "delhi", "hindi", "rupee", "ganges", "curry"),
]

# animal, young, sound, home
ANIMALS = [
    ("dog", "puppy", "barks", "kennel"),
    ("cat", "kitten", "meows", "basket"),
    ("cow", "calf", "moos", "barn"),
    ("sheep", "lamb", "bleats", "fold"),
    ("horse", "foal", "neighs", "stable"),
    ("pig", "piglet", "oinks", "sty"),
    ("duck", "duckling", "quacks", "pond"),
    ("bear", "cub", "growls", "den"),
    ("frog", "tadpole", "croaks", "marsh"),
    ("deer", "fawn", "bellows", "forest"),
    ("goose", "gosling", "honks", "meadow"),
    ("hen", "chick", "clucks", "coop"),
    ("owl", "owlet", "hoots", "hollow"),
    ("wolf", "pup", "howls", "lair"),
]

COLOURS = ["red", "blue", "green", "yellow", "orange", "purple",
           "pink", "brown", "black", "white", "grey"]

NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight",
           "nine", "ten", "eleven", "twelve"]

# filler -------------------------------------------------------------------
NAMES = ["anna", "tom", "maria", "peter", "lucy", "john", "sara", "david",
         "emma", "paul", "nina", "max", "laura", "sam", "julia", "leo"]
PRONOUNS = ["he", "she", "we", "they", "i"]
TIMES = ["year", "week", "month", "summer", "winter", "spring", "autumn"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday"]
BUILDINGS = ["museum", "library", "hospital", "bridge", "school", "park",
             "station", "theatre", "stadium", "market"]
OBJECTS = ["car", "house", "door", "kite", "boat", "wall", "bicycle",
           "umbrella", "hat", "fence", "cup", "chair"]
CLOTHES = ["dress", "shirt", "coat", "scarf", "jacket", "sweater"]
FRUITS = ["apples", "pears", "eggs", "books", "stamps", "cards", "pens",
          "lemons"]
UNITS = ["days", "hours", "weeks", "minutes"]
ADJ_CITY = ["busy", "beautiful", "crowded", "old", "quiet", "modern",
            "lively", "expensive"]
ADJ_COUNTRY = ["large", "peaceful", "proud", "rich", "mountainous",
               "democratic", "independent", "ancient"]
ADJ_ANIMAL = ["big", "small", "hungry", "sleepy", "friendly", "wild",
              "young", "old"]
JOBS = ["teacher", "doctor", "writer", "farmer", "painter", "student",
        "engineer", "journalist"]


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------
# Slots:
#   country / capital / language / currency / river / dish  -> one country C
#   place                                  -> C's name or its capital (50/50)
#   animal / young / sound / home                           -> one animal A
#   creature                                -> A's name or its young (50/50)
#   colour / colour2                                        -> two colours
#   n / n2 / n3 and arithmetic slots are filled specially
#   name, pron, time, day, building, object, clothes, things, unit, adj*, job

TEMPLATES: list[tuple[float, str]] = [
    # --- capital <-> country ties (specific) ----------------------------
    (3, "{capital} is the capital of {country}"),
    (3, "the capital of {country} is {capital}"),
    (2, "the people of {country} love {capital}"),
    (2, "from {capital} the president of {country} spoke to the nation"),
    (2, "the government of {country} meets in {capital}"),
    (2, "{name} flew from {capital} to another city in {country}"),
    # --- identity ties: {place} is the country or its capital (50/50), so
    #     both share exactly the same country-specific contexts ------------
    (2, "in {place} people speak {language}"),
    (2, "the people of {place} speak {language}"),
    (1, "{language} is spoken everywhere in {place}"),
    (1, "the newspapers of {place} are printed in {language}"),
    (1, "{name} learned {language} while living in {place}"),
    (1, "{pron} speak {language} because {pron} grew up in {place}"),
    (1, "the radio in {place} speaks {language} all day"),
    (2, "in {place} you pay with the {currency}"),
    (1, "the {currency} is the money used in {place}"),
    (1, "the shops of {place} accept only the {currency}"),
    (1, "{name} changed money into {currency} at the airport in {place}"),
    (1, "the river {river} flows through {place}"),
    (1, "{name} went swimming in the {river} near {place}"),
    (1, "{dish} is a famous dish in {place}"),
    (1, "every family in {place} eats {dish}"),
    (1, "in {place} {name} ate {dish} by the {river}"),
    (1, "{name} visited {place} and tasted the {dish}"),
    (1, "in {place} a good {dish} costs a lot of {currency}"),
    # --- generic capital (type) contexts -------------------------------
    (2, "{name} flew to {capital} last {time}"),
    (2, "the mayor of {capital} opened a new {building}"),
    (2, "the streets of {capital} are {adj_city} on {day}"),
    (1, "{name} works as a {job} in downtown {capital}"),
    (1, "tourists visit the old {building} of {capital}"),
    (1, "{name} moved to the city of {capital} last {time}"),
    (1, "the airport of {capital} is {adj_city} today"),
    (1, "{capital} is a {adj_city} city"),
    (1, "the city council of {capital} met on {day}"),
    (1, "the subway of {capital} was full of people"),
    (1, "{pron} rented a flat in central {capital}"),
    (1, "{pron} took the night train to {capital}"),
    (1, "the old town of {capital} is {adj_city}"),
    # --- generic country (type) contexts -------------------------------
    (2, "{country} is a {adj_country} country"),
    (1, "the borders of {country} are long"),
    (1, "the nation of {country} elected a new president"),
    (1, "{name} travelled across the whole country of {country}"),
    (1, "the army of {country} defends the borders of the nation"),
    (1, "the economy of {country} grew last {time}"),
    (1, "the prime minister of {country} resigned on {day}"),
    (1, "{name} crossed the border into {country}"),
    (1, "the national team of {country} lost the match"),
    (1, "the population of {country} is growing"),
    (1, "the history of {country} is long and {adj_country}"),
    # --- generic contexts of the other country attributes ------------------
    (1, "{name} is learning to speak {language}"),
    (1, "the book was translated into {language}"),
    (1, "the exchange rate of the {currency} fell again"),
    (1, "{name} saved a lot of money in {currency}"),
    (1, "{name} cooked {dish} for dinner"),
    (1, "the {dish} was too salty"),
    (1, "{pron} ordered the {dish} and a glass of water"),
    (1, "the {river} flooded after the heavy rain"),
    (1, "{name} sailed down the {river} in a small boat"),
    # --- animals ------------------------------------------------------------
    (2, "the {creature} {sound} at night"),
    (1, "the {creature} lives in the {home}"),
    (1, "{name} heard how the {creature} {sound} in the {home}"),
    (2, "a {young} is a young {animal}"),
    (2, "the {animal} fed its {young} in the {home}"),
    (1, "the little {young} {sound} softly"),
    (1, "the {adj_animal} {animal} sleeps in the {home}"),
    (1, "the {young} followed its mother the {animal}"),
    (2, "{name} saw a {adj_animal} {animal} on the farm"),
    (1, "the farmer feeds the {animal} every morning"),
    (1, "the newborn {young} is very small"),
    (1, "the {animal} is a {adj_animal} animal"),
    (1, "the children played with the little {young}"),
    (1, "{name} drew a picture of a {animal} in the zoo"),
    (1, "the vet looked at the sick {animal}"),
    (1, "{name} cleaned the {home} on {day}"),
    (1, "the old {home} was cold and dark"),
    # --- colours ------------------------------------------------------------
    (2, "the {object} is painted {colour}"),
    (2, "{name} wore a {colour} {clothes} to the party"),
    (1, "{colour} and {colour2} are the favourite colours of {name}"),
    (1, "{name} likes the colour {colour} more than {colour2}"),
    (1, "mix {colour} paint with {colour2} paint"),
    (1, "the flag has a {colour} stripe and a {colour2} stripe"),
    (1, "{pron} bought a {colour} {object} yesterday"),
    # --- numbers ------------------------------------------------------------
    (2, "{name} counted from {n} to {n2}"),
    (2, "{a} plus {b} makes {c}"),
    (1, "after {n} comes {next}"),
    (1, "{next} comes after {n}"),
    (2, "{name} bought {n} {things} at the market"),
    (1, "we waited {n} {unit} for the bus"),
    (1, "the number {n} is smaller than {bigger}"),
    (1, "{name} has {n} brothers and {n2} sisters"),
]


def _other(rng: random.Random, seq, exclude):
    while True:
        x = rng.choice(seq)
        if x != exclude:
            return x


def fill(template: str, rng: random.Random) -> str:
    c = rng.choice(COUNTRIES)
    a = rng.choice(ANIMALS)
    col = rng.choice(COLOURS)
    col2 = _other(rng, COLOURS, col)
    ni = rng.randrange(len(NUMBERS) - 1)          # index with a successor
    n2i = rng.randrange(len(NUMBERS))
    # arithmetic: pick c in 2..12 uniformly, then a, b with a + b = c
    cv = rng.randint(2, 12)
    av = rng.randint(1, cv - 1)
    bv = cv - av
    pron = rng.choice(PRONOUNS)
    slots = dict(
        country=c[0], capital=c[1], language=c[2], currency=c[3],
        river=c[4], dish=c[5], place=c[rng.randrange(2)],
        animal=a[0], young=a[1], sound=a[2], home=a[3],
        creature=a[rng.randrange(2)],
        colour=col, colour2=col2,
        n=NUMBERS[ni] if "{next}" in template or "{bigger}" in template
        else rng.choice(NUMBERS),
        n2=NUMBERS[n2i],
        next=NUMBERS[ni + 1],
        bigger=NUMBERS[rng.randrange(ni + 1, len(NUMBERS))],
        a=NUMBERS[av - 1], b=NUMBERS[bv - 1], c=NUMBERS[cv - 1],
        name=rng.choice(NAMES), pron=pron,
        time=rng.choice(TIMES), day=rng.choice(DAYS),
        building=rng.choice(BUILDINGS), object=rng.choice(OBJECTS),
        clothes=rng.choice(CLOTHES), things=rng.choice(FRUITS),
        unit=rng.choice(UNITS), job=rng.choice(JOBS),
        adj_city=rng.choice(ADJ_CITY), adj_country=rng.choice(ADJ_COUNTRY),
        adj_animal=rng.choice(ADJ_ANIMAL),
    )
    s = template.format(**slots)
    # "{pron} speak ...": third-person agreement
    return re.sub(r"^(he|she) speak ", r"\1 speaks ", s)


# ---------------------------------------------------------------------------
# Planted evaluation data
# ---------------------------------------------------------------------------

def _pairs_questions(pairs, rng: random.Random, limit: int | None):
    qs = [(a, b, c, d) for (a, b) in pairs for (c, d) in pairs if a != c]
    if limit is not None and len(qs) > limit:
        qs = rng.sample(qs, limit)
        qs.sort(key=lambda q: ([p[0] for p in pairs].index(q[0]),
                               [p[0] for p in pairs].index(q[2])))
    return qs


def analogy_sections(seed: int) -> dict[str, list[tuple[str, str, str, str]]]:
    rng = random.Random(seed + 1)
    return {
        "capital-country": _pairs_questions(
            [(c[0], c[1]) for c in COUNTRIES], rng, None),
        "country-language": _pairs_questions(
            [(c[0], c[2]) for c in COUNTRIES], rng, 60),
        "country-currency": _pairs_questions(
            [(c[0], c[3]) for c in COUNTRIES], rng, 60),
        "animal-young": _pairs_questions(
            [(a[0], a[1]) for a in ANIMALS], rng, 60),
    }


def groups() -> dict[str, list[str]]:
    return {
        "capitals": [c[1] for c in COUNTRIES],
        "countries": [c[0] for c in COUNTRIES],
        "animals": [a[0] for a in ANIMALS],
        "colours": list(COLOURS),
        "numbers": list(NUMBERS),
    }


# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sentences", type=int, default=40000,
                   help="number of sentences (default: %(default)s)")
    p.add_argument("-o", "--output", default="data/toy_world.txt")
    args = p.parse_args(argv)

    rng = random.Random(args.seed)
    weights = [w for w, _ in TEMPLATES]
    texts = [t for _, t in TEMPLATES]
    lines = []
    counts: Counter[str] = Counter()
    for _ in range(args.sentences):
        t = rng.choices(texts, weights)[0]
        s = fill(t, rng)
        lines.append(s)
        counts.update(s.split())

    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")

    stem = out.with_suffix("")
    qpath = stem.parent / (stem.name + "_questions.txt")
    gpath = stem.parent / (stem.name + "_groups.json")
    sections = analogy_sections(args.seed)
    qlines = []
    for name, qs in sections.items():
        qlines.append(f": {name}")
        qlines.extend(" ".join(q) for q in qs)
    qpath.write_text("\n".join(qlines) + "\n", encoding="utf-8")
    gpath.write_text(json.dumps(groups(), indent=2) + "\n", encoding="utf-8")

    planted = [w for ws in groups().values() for w in ws]
    rarest = min(planted, key=lambda w: counts[w])
    print("planted analogy questions (questions-words format):")
    sys.stdout.write("\n".join(qlines) + "\n")
    print(f"wrote {gpath}")
    print(f"wrote {qpath}: {sum(len(q) for q in sections.values())} questions"
          f" in {len(sections)} sections")
    print(f"wrote {out}: {len(lines)} sentences")
    print(f"word count: {sum(counts.values())}")
    print(f"distinct words: {len(counts)}")
    print(f"rarest planted word: {rarest} ({counts[rarest]} occurrences)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
