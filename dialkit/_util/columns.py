"""Column names compared the way a person reads them: one key per name."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["column_key"]


def column_key(name: object) -> str:
    """A column name without case, accents, spaces or punctuation, for comparing names.

    Args:
        name: A column name (anything ``str()`` accepts).

    Returns:
        The lower-case ASCII letters and digits left: ``" Téléphone-No "`` gives ``telephoneno``.
    """
    plain = unicodedata.normalize("NFKD", str(name).casefold())
    return re.sub(r"[^0-9a-z]", "", plain)
