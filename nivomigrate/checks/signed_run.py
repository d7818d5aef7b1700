"""signed-run: prod gets only what a run signed with CI's ledger key says staging passed.

Problem: staging's owner can write any row into staging's ledger. A forged `passed` run with
the right checksums and fingerprint made `promote prod` run SQL that never ran on staging. With
`NIVOMIGRATE_LEDGER_KEY` set (a secret only CI holds), every run is signed (HMAC-SHA256,
nivomigrate/signing.py) and promote trusts only the staging runs whose signature verifies: an
unsigned or badly signed passed run is refused, and its checksums count for nothing.
Do instead: let CI apply staging with the key (the workflows pass it) and promote with the same
key; set `require_signed_runs: true` in policies/promotion.yaml so that a promotion without the
key is refused instead of trusting unsigned rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.ledger import Run

NAME = "signed-run"
EXIT_CODE = 3
KEY_VARIABLE = "NIVOMIGRATE_LEDGER_KEY"


def findings(newest: Run | None, *, key_set: bool, required: bool,
             trusted: bool) -> list[Finding]:
    """Judge staging's newest passed run at the target (`newest`) against the signing rules.

    Args:
        key_set: the ledger key is set (runs are then checked).
        required: `require_signed_runs` in promotion.yaml.
        trusted: `newest` carries a valid signature of the key.
    """
    if not key_set:
        if not required:
            return []
        return [Finding(
            check=NAME, severity=Severity.ERROR, exit_code=2,
            message=f"require_signed_runs is true but {KEY_VARIABLE} is not set: staging's "
            "runs cannot be checked",
            location=Location(object="staging"), environment="staging",
            help=f"promote where {KEY_VARIABLE} is set (the promote workflow passes the "
            "secret), with the key staging's runs were signed with",
        )]
    if newest is None or trusted:
        return []
    return [Finding(
        check=NAME, severity=Severity.ERROR, exit_code=EXIT_CODE,
        message=f"staging's passed run #{newest.id} at revision {newest.to_revision} has no "
        "valid signature of the ledger key (written by hand, copied from another database, "
        f"or recorded without {KEY_VARIABLE}): it is not trusted",
        location=Location(object="staging"), environment="staging",
        help=f"re-run `nivomigrate apply staging` with {KEY_VARIABLE} set (CI does), and find "
        f"out who wrote run #{newest.id} (actor {newest.actor!r})",
    )]
