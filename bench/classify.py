"""Classifier quality and speed on the labelled corpus (``tests/data``).

    .venv/bin/python bench/classify.py            # held-out and development figures
    .venv/bin/python bench/classify.py --errors   # also list every wrong message

Quality is reported on the held-out split (messages the rules were never tuned on) and,
for comparison, on the development split. Speed is messages per second on one core,
printed as a ratio against a baseline measured in the same run: a naive keyword
classifier (one keyword list per kind, no context), whose quality is printed too, so the
cost of the rules is visible next to what they buy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from handlers.classifier import classify  # noqa: E402
from handlers.kinds import KINDS  # noqa: E402

DATA = REPO / "tests" / "data"
TARGETS = {
    "language_accuracy": 0.98,
    "privacy_f1": 0.97,
    "micro_f1": 0.92,
    "macro_f1": 0.88,
    "messages_per_second": 1000.0,
    "startup_seconds": 1.5,
}


@dataclass(frozen=True)
class Sample:
    """One labelled message."""

    id: str
    channel: str
    subject: str
    text: str
    language: str
    kinds: frozenset[str]
    automated: bool


def _is_dev(message_id: str) -> bool:
    return int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % 2 == 0


def _read(path: Path) -> list[Sample]:
    samples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        samples.append(
            Sample(
                id=row["id"],
                channel=row["channel"],
                subject=row.get("subject") or "",
                text=row["text"],
                language=row["language"],
                kinds=frozenset(row["kinds"]),
                automated=bool(row.get("automated", False)),
            )
        )
    return samples


def load(split: str) -> list[Sample]:
    """``dev`` or ``heldout``: the written corpus plus its half of the public templates.

    The public templates carry no ``automated`` label; the ones without kinds are all
    mail-system messages (bounces, out-of-office), so that is their label.
    """
    files = (
        sorted(DATA.glob("corpus-dev*.jsonl"))
        if split == "dev"
        else [DATA / "corpus-heldout.jsonl"]
    )
    own = [s for path in files if path.exists() for s in _read(path)]
    public = [
        replace(s, automated=not s.kinds)
        for s in _read(DATA / "public-templates.jsonl")
        if _is_dev(s.id) == (split == "dev")
    ]
    return [*own, *public]


@dataclass(frozen=True)
class Prediction:
    """What a classifier said of one sample."""

    language: str
    kinds: frozenset[str]
    automated: bool


def _ours(sample: Sample) -> Prediction:
    found = classify(sample.text, sample.subject, channel=sample.channel)
    return Prediction(found.language, frozenset(found.kinds), found.automated)


_NAIVE = {
    "access": r"access|copy of|доступ|копі|копия",
    "erasure": r"delet|eras|remov|видал|удал",
    "rectification": r"correct|rectif|виправ|исправ",
    "restriction": r"restrict|обмеж|огранич",
    "portability": r"portab|csv|json|machine-readable|машино",
    "objection": r"object|unsubscrib|marketing|запереч|відпис|розсил|возраж|отпис|рассыл",
    "withdraw_consent": r"consent|згод|соглас",
    "opt_out_sale": r"sell|sale|продаж",
    "complaint": r"complain|скарг|жалоб",
    "third_party_access": r"lawyer|attorney|police|адвокат|поліц|полиц",
}
_NAIVE_RE = {k: re.compile(v, re.IGNORECASE) for k, v in _NAIVE.items()}


def _naive(sample: Sample) -> Prediction:
    """The baseline: a keyword per kind anywhere in the text, Cyrillic letter count for language."""
    text = f"{sample.subject}\n{sample.text}"
    kinds = frozenset(k for k, pattern in _NAIVE_RE.items() if pattern.search(text))
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in text)
    ukrainian = sum(c in "іїєґІЇЄҐ" for c in text)
    language = "en" if cyrillic < len(text) / 4 else ("uk" if ukrainian else "ru")
    return Prediction(language, kinds, False)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else (1.0 if not fp and not fn else 0.0)


@dataclass(frozen=True)
class Scores:
    """The figures the issue asks for."""

    n: int
    language_accuracy: float
    privacy_f1: float
    micro_f1: float
    macro_f1: float
    exact_match: float
    automated_accuracy: float
    per_kind: dict[str, tuple[float, int, int, int]]
    wrong: list[tuple[Sample, Prediction]]


def score(samples: Iterable[Sample], predict: Callable[[Sample], Prediction]) -> Scores:
    """Compare ``predict`` with the labels."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    language = exact = automated = n = 0
    privacy = Counter[str]()
    wrong = []
    for sample in samples:
        n += 1
        got = predict(sample)
        language += got.language == sample.language
        exact += got.kinds == sample.kinds
        automated += got.automated == sample.automated
        gold_privacy, got_privacy = bool(sample.kinds), bool(got.kinds)
        privacy[
            "tp"
            if gold_privacy and got_privacy
            else "fp"
            if got_privacy
            else "fn"
            if gold_privacy
            else "tn"
        ] += 1
        for kind in KINDS:
            if kind in sample.kinds and kind in got.kinds:
                tp[kind] += 1
            elif kind in got.kinds:
                fp[kind] += 1
            elif kind in sample.kinds:
                fn[kind] += 1
        if (
            got.kinds != sample.kinds
            or got.language != sample.language
            or got.automated != sample.automated
        ):
            wrong.append((sample, got))
    per_kind = {k: (_f1(tp[k], fp[k], fn[k]), tp[k], fp[k], fn[k]) for k in KINDS}
    return Scores(
        n=n,
        language_accuracy=language / n,
        privacy_f1=_f1(privacy["tp"], privacy["fp"], privacy["fn"]),
        micro_f1=_f1(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        macro_f1=statistics.fmean(v[0] for v in per_kind.values()),
        exact_match=exact / n,
        automated_accuracy=automated / n,
        per_kind=per_kind,
        wrong=wrong,
    )


def throughput(
    samples: list[Sample], predict: Callable[[Sample], Prediction], seconds: float = 2.0
) -> float:
    """Messages per second over repeated passes of ``samples`` (after one warm-up pass)."""
    for sample in samples:
        predict(sample)
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for sample in samples:
            predict(sample)
        done += len(samples)
    return done / (time.perf_counter() - start)


def startup_seconds(runs: int = 5) -> float:
    """Median wall time of ``privacydesk classify --jsonl`` answering one message."""
    script = Path(sys.executable).with_name("privacydesk")
    line = json.dumps({"id": 1, "channel": "telegram", "subject": "", "text": "видаліть мої дані"})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [str(script), "classify", "--jsonl"],
            input=line,
            text=True,
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _report(title: str, scores: Scores) -> None:
    print(f"\n{title} (n={scores.n})")
    print(
        f"  language accuracy   {scores.language_accuracy:.3f}   "
        f"(target ≥ {TARGETS['language_accuracy']})"
    )
    print(f"  privacy-detection F1 {scores.privacy_f1:.3f}  (target ≥ {TARGETS['privacy_f1']})")
    print(f"  kinds micro-F1      {scores.micro_f1:.3f}   (target ≥ {TARGETS['micro_f1']})")
    print(f"  kinds macro-F1      {scores.macro_f1:.3f}   (target ≥ {TARGETS['macro_f1']})")
    print(f"  exact-match rate    {scores.exact_match:.3f}")
    print(f"  automated accuracy  {scores.automated_accuracy:.3f}")
    for kind, (f1, tp, fp, fn) in scores.per_kind.items():
        print(f"    {kind:<20} F1 {f1:.3f}  tp {tp:3d} fp {fp:3d} fn {fn:3d}")


def main() -> int:
    """Print the figures; exit 1 when a held-out target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", action="store_true", help="list every wrong held-out message")
    parser.add_argument(
        "--split", choices=["heldout", "dev"], default="heldout", help="which errors to list"
    )
    args = parser.parse_args()

    heldout, dev = load("heldout"), load("dev")
    ours = score(heldout, _ours)
    _report("Held-out split — the targets", ours)
    _report("Development split (tuned on; for comparison)", score(dev, _ours))
    baseline = score(heldout, _naive)
    print(
        f"\nBaseline (naive keywords) on held-out: language {baseline.language_accuracy:.3f}, "
        f"privacy F1 {baseline.privacy_f1:.3f}, micro-F1 {baseline.micro_f1:.3f}, "
        f"macro-F1 {baseline.macro_f1:.3f}"
    )
    everything = heldout + dev
    ours_rate = throughput(everything, _ours)
    naive_rate = throughput(everything, _naive)
    startup = startup_seconds()
    print(
        f"\nThroughput on one core: {ours_rate:,.0f} messages/s "
        f"(target ≥ {TARGETS['messages_per_second']:,.0f})"
    )
    print(f"  baseline {naive_rate:,.0f} messages/s; ours/baseline = {ours_rate / naive_rate:.3f}")
    print(
        "Start-up of `privacydesk classify --jsonl` (one message, median of 5): "
        f"{startup:.2f} s (target < {TARGETS['startup_seconds']} s)"
    )

    if args.errors:
        chosen = ours if args.split == "heldout" else score(dev, _ours)
        print(f"\nWrong on {args.split}:")
        for sample, got in chosen.wrong:
            print(
                f"  {sample.id}: language {sample.language}->{got.language} kinds "
                f"{sorted(sample.kinds)}->{sorted(got.kinds)} "
                f"automated {sample.automated}->{got.automated}"
            )
    missed = [
        name
        for name, value in (
            ("language_accuracy", ours.language_accuracy),
            ("privacy_f1", ours.privacy_f1),
            ("micro_f1", ours.micro_f1),
            ("macro_f1", ours.macro_f1),
            ("messages_per_second", ours_rate),
        )
        if value < TARGETS[name]
    ]
    if startup >= TARGETS["startup_seconds"]:
        missed.append("startup_seconds")
    print("\nAll targets met." if not missed else f"\nTargets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
