"""ProjectView: what the project's helper modules use of a :class:`~timesync.project.model.Project`.

A :class:`typing.Protocol`, for type hints only: the schema, the store, the hash
checks, locating and naming take a Project but never import
:mod:`timesync.project.model` (which imports them), so the package has no
import cycle through the model, not even one of type hints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from timesync.project.annotation import Annotation
    from timesync.project.history import HistoryEntry
    from timesync.project.source import Source

__all__ = ["ProjectView"]


class ProjectView(Protocol):
    """The part of :class:`~timesync.project.model.Project` its helper modules use (see there)."""

    extra: dict[str, Any]
    warnings: list[str]
    wall_clock: dict[str, Any] | None

    @property
    def path(self) -> Path | None: ...  # noqa: D102

    @property
    def base_dir(self) -> Path: ...  # noqa: D102

    @property
    def label(self) -> str: ...  # noqa: D102

    @property
    def sources(self) -> tuple[Source, ...]: ...  # noqa: D102

    @property
    def reference(self) -> str | None: ...  # noqa: D102

    @property
    def annotations(self) -> tuple[Annotation, ...]: ...  # noqa: D102

    @property
    def vocabulary(self) -> tuple[str, ...]: ...  # noqa: D102

    @property
    def history(self) -> tuple[HistoryEntry, ...]: ...  # noqa: D102

    def source(self, name: str) -> Source: ...  # noqa: D102

    def annotation(self, annotation_id: str) -> Annotation: ...  # noqa: D102

    def resolve(self, name: str) -> Path: ...  # noqa: D102

    def set_probe(self, name: str, summary: dict[str, Any]) -> Source: ...  # noqa: D102

    def set_hash_status(self, name: str, status: str) -> Source: ...  # noqa: D102

    def rebase(self, new_base: Path) -> None: ...  # noqa: D102

    def mark_saved(self, path: Path) -> None: ...  # noqa: D102
