#!/usr/bin/env python3
"""Rewrites exams in the flat layout the way other programs write JSON, for bench/classify.sh.

    python3 bench/vary_json.py LAYOUT SEED < exams.json > out.json

Reads a JSON array of exams (as `scitrial generate-exams` writes them) and writes the same exams,
value for value, in one of these layouts, with Python's own json module (not our writer):

- compact: one array, no spaces;
- pretty: one array, indented by 2, keys in the input's order;
- shuffled: every object's keys in a different random order, compact;
- optional: the optional keys (the lowest non-key muscles when none, the id) left out of some
  objects, the others in the input's order;
- numbers: grades written as JSON numbers in half of the objects, an id as a number or a string;
- crlf: pretty-printed with CRLF line ends;
- varied: all of the above mixed, object by object, as an independent generator gives them
  (30% of the objects pretty-printed), as a JSON array;
- lines: the varied objects one per line (JSON Lines), CRLF line ends.

The seed makes the output reproducible.
"""
import json
import random
import sys

OPTIONAL = ("rightLowestNonKeyMuscleWithMotorFunction", "leftLowestNonKeyMuscleWithMotorFunction")


def varied(exam, rng, shuffle=True, optional=True, numbers=True):
    """The exam's members, changed as the flags say."""
    out = []
    as_numbers = numbers and rng.random() < 0.5
    for key, value in exam.items():
        if optional and key in OPTIONAL and value in ("0", None) and rng.random() < 0.5:
            continue  # absent means none
        if key == "id":
            if optional and rng.random() < 0.2:
                continue
            if numbers and isinstance(value, str) and value.isdigit() and rng.random() < 0.5:
                value = int(value)
            elif numbers and isinstance(value, int) and rng.random() < 0.5:
                value = str(value)
        elif as_numbers and isinstance(value, str) and value.isdigit():
            value = int(value)
        out.append((key, value))
    if shuffle:
        rng.shuffle(out)
    return dict(out)


def array(w, objects, dump, newline="\n"):
    w("[" + newline)
    for i, obj in enumerate(objects):
        w(dump(obj).replace("\n", newline))
        w("," + newline if i + 1 < len(objects) else newline)
    w("]" + newline)


def main():
    layout, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    exams = json.load(sys.stdin)
    w = sys.stdout.write
    compact = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)
    if layout == "compact":
        w(compact(exams))
    elif layout == "pretty":
        w(json.dumps(exams, indent=2, ensure_ascii=False))
    elif layout == "shuffled":
        array(w, [varied(e, rng, optional=False, numbers=False) for e in exams], compact)
    elif layout == "optional":
        array(w, [varied(e, rng, shuffle=False, numbers=False) for e in exams], compact)
    elif layout == "numbers":
        array(w, [varied(e, rng, shuffle=False, optional=False) for e in exams], compact)
    elif layout == "crlf":
        w(json.dumps(exams, indent=2, ensure_ascii=False).replace("\n", "\r\n"))
    elif layout == "varied":
        pretty_or_not = lambda o: json.dumps(o, indent=1) if rng.random() < 0.3 else json.dumps(o)
        array(w, [varied(e, rng) for e in exams], pretty_or_not, "\r\n")
    elif layout == "lines":
        for exam in exams:
            w(compact(varied(exam, rng)))
            w("\r\n")
    else:
        sys.exit(
            f"unknown layout {layout!r} "
            "(compact, pretty, shuffled, optional, numbers, crlf, varied, lines)"
        )


if __name__ == "__main__":
    main()
