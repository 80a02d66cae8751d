"""Cutting a sequence into lists of a fixed size (batches, re-batched retries)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["iter_chunks"]


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of at most ``size`` items, in order (the last may be shorter).

    Args:
        items: Any iterable; read once.
        size: The most items per list.

    Yields:
        Lists of ``size`` items, then the remainder.
    """
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
