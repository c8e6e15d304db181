"""A package's processing states and the moves allowed between them.

received → extracting → checking → done, and failed (with a reason) from any working state.
extracting and checking are half states: a worker owns the package while it is in one, so a
crashed worker's package is found by its age and put back to received (see
Repository.recover_stuck). done and failed only go back to received on an explicit re-check.
"""
from __future__ import annotations

from enum import StrEnum

from storage.objects import StorageError


class PackageState(StrEnum):
    """Where a package is in processing (not a verdict: verdicts belong to validators)."""

    RECEIVED = "received"
    EXTRACTING = "extracting"
    CHECKING = "checking"
    DONE = "done"
    FAILED = "failed"


_VALUES = frozenset(s.value for s in PackageState)
HALF_STATES = frozenset({PackageState.EXTRACTING, PackageState.CHECKING})

TRANSITIONS: dict[PackageState, frozenset[PackageState]] = {
    PackageState.RECEIVED: frozenset({PackageState.EXTRACTING, PackageState.FAILED}),
    PackageState.EXTRACTING: frozenset({PackageState.CHECKING, PackageState.FAILED, PackageState.RECEIVED}),
    PackageState.CHECKING: frozenset({PackageState.DONE, PackageState.FAILED, PackageState.RECEIVED}),
    PackageState.DONE: frozenset({PackageState.RECEIVED}),
    PackageState.FAILED: frozenset({PackageState.RECEIVED}),
}


class InvalidTransition(StorageError):
    """A state change the machine does not allow from the package's current state."""

    def __init__(self, package_id: str, current: str | None, target: str) -> None:
        self.package_id, self.current, self.target = package_id, current, target
        allowed = ", ".join(sorted(sources(PackageState(target)))) if target in _VALUES else "none"
        super().__init__(f"package {package_id!r}: cannot go from {current!r} to {target!r} "
                         f"(allowed from: {allowed})")


def sources(target: PackageState) -> frozenset[PackageState]:
    """The states from which `target` may be entered."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def can_move(current: str, target: str) -> bool:
    return current in _VALUES and target in _VALUES and PackageState(target) in TRANSITIONS[PackageState(current)]
