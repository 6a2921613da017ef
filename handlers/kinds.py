"""The kinds of privacy request (design.md's ``classify`` contract), in one place."""

from __future__ import annotations

from typing import Final, Literal, get_args

Kind = Literal[
    "access",
    "erasure",
    "rectification",
    "restriction",
    "portability",
    "objection",
    "withdraw_consent",
    "opt_out_sale",
    "complaint",
    "third_party_access",
]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
