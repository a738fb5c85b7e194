#!/usr/bin/env python3
"""Precision and recall of `rationale quality`'s no_why flag on the messages of Tian et al.,
"What Makes a Good Commit Message?" (ICSE 2022), labelled by hand for why and what.

The data has no licence, so it is not in this repository: fetch `Dataset/sampled messages.csv`
from GitHub WhatMakesAGoodCM/What-Makes-a-Good-Commit-Message and give its path.

    python3 tests/quality/tian.py PATH/TO/sampled\ messages.csv [--bin target/release/rationale]
        [--errors even] [--repeat N]

Labels: 0 why and what, 1 neither, 2 why only, 3 what only; 1 and 3 are "no why". In `message`,
`<enter>` is a line break. Rules and thresholds were chosen on the even ids only; the odd ids are
the measure. `--errors even` prints the even ids' false positives and false negatives; `--repeat N`
also times the binary on the messages repeated N times. Not part of tests/run.sh.
"""

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path)
    parser.add_argument("--bin", default=str(Path(__file__).resolve().parents[2] / "target/release/rationale"))
    parser.add_argument("--errors", choices=["even"], help="print the even ids' mistakes")
    parser.add_argument("--repeat", type=int, default=0, help="time the messages repeated this many times")
    args = parser.parse_args()

    with open(args.csv, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    messages = [row["message"].replace("<enter>", "\n") for row in rows]
    stdin = "".join(json.dumps(message) + "\n" for message in messages)
    result = subprocess.run([args.bin, "quality", "--json"], input=stdin, capture_output=True, text=True)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    if len(answers) != len(rows):
        sys.exit(f"tian.py: {len(rows)} messages, {len(answers)} answers; stderr: {result.stderr}")

    print(f"{'ids':<5} {'rows':>5} {'no-why':>6} {'flagged':>7} {'TP':>4} {'FP':>4} {'precision':>9} {'recall':>6}")
    for parity, name in [(1, "odd"), (0, "even")]:
        tp = fp = fn = n = positives = 0
        for row, answer in zip(rows, answers):
            if int(row["id"]) % 2 != parity:
                continue
            n += 1
            truth = row["label"] in ("1", "3")
            flagged = "no_why" in answer.get("flags", [])
            positives += truth
            tp += truth and flagged
            fp += flagged and not truth
            fn += truth and not flagged
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        print(f"{name:<5} {n:>5} {positives:>6} {tp + fp:>7} {tp:>4} {fp:>4} {precision:>9.3f} {recall:>6.3f}")

    if args.errors == "even":
        for row, message, answer in zip(rows, messages, answers):
            if int(row["id"]) % 2:
                continue
            truth = row["label"] in ("1", "3")
            flagged = "no_why" in answer.get("flags", [])
            if truth != flagged:
                kind = "FP" if flagged else "FN"
                print(f"{kind} id={row['id']} label={row['label']} no_why={answer.get('no_why')} {message[:140]!r}")
        for row, message, answer in zip(rows, messages, answers):
            if int(row["id"]) % 2 == 0 and "generic" in answer.get("flags", []):
                print(f"GENERIC id={row['id']} label={row['label']} {message[:140]!r}")

    if args.repeat:
        big = stdin * args.repeat
        count = len(messages) * args.repeat
        best = None
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run([args.bin, "quality", "--json"], input=big, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            assert done.stdout.count("\n") == count
            best = elapsed if best is None else min(best, elapsed)
        print(f"throughput: {count} rationales in {best:.3f} s (best of 3): {count / best:,.0f} rationales/s")


if __name__ == "__main__":
    main()
