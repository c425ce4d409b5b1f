#!/usr/bin/env python3
"""Rewrites exams in the flat layout the way other programs write JSON, for bench/classify.sh.

    python3 bench/vary_json.py LAYOUT SEED < exams.json > out.json

Reads a JSON array of exams (as `scitrial generate-exams` writes them) and writes the same exams,
value for value, in one of these layouts, with Python's own json module (not our writer):

- compact: one array, no spaces;
- pretty: one array, indented by 2, keys in the input's order;
- varied: what an independent generator gives: every object's keys in a different random order,
  the optional keys (the lowest non-key muscles, the id) present in some objects only, an id as a
  number or a string, grades written as JSON numbers where they are plain digits in some objects,
  objects sometimes pretty-printed, CRLF line ends, as a JSON array;
- lines: the varied objects one per line (JSON Lines), CRLF line ends.

The seed makes the output reproducible.
"""
import json
import random
import sys

OPTIONAL = ("rightLowestNonKeyMuscleWithMotorFunction", "leftLowestNonKeyMuscleWithMotorFunction")


def varied(exam, rng):
    items = list(exam.items())
    out = []
    numbers = rng.random() < 0.5
    for key, value in items:
        if key in OPTIONAL and value in ("0", None) and rng.random() < 0.5:
            continue  # absent means none
        if key == "id":
            if rng.random() < 0.2:
                continue
            if isinstance(value, str) and value.isdigit() and rng.random() < 0.5:
                value = int(value)
        elif numbers and isinstance(value, str) and value.isdigit():
            value = int(value)
        out.append((key, value))
    rng.shuffle(out)
    return dict(out)


def main():
    layout, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    exams = json.load(sys.stdin)
    w = sys.stdout.write
    if layout == "compact":
        w(json.dumps(exams, separators=(",", ":"), ensure_ascii=False))
    elif layout == "pretty":
        w(json.dumps(exams, indent=2, ensure_ascii=False))
    elif layout == "varied":
        w("[\r\n")
        for i, exam in enumerate(exams):
            obj = varied(exam, rng)
            text = json.dumps(obj, indent=1) if rng.random() < 0.3 else json.dumps(obj)
            w(text.replace("\n", "\r\n"))
            w(",\r\n" if i + 1 < len(exams) else "\r\n")
        w("]\r\n")
    elif layout == "lines":
        for exam in exams:
            w(json.dumps(varied(exam, rng), separators=(",", ":")))
            w("\r\n")
    else:
        sys.exit(f"unknown layout {layout!r} (compact, pretty, varied, lines)")


if __name__ == "__main__":
    main()
