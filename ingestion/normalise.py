"""Normalisation of free text for matching (names, addresses, phones, e-mails)."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalise_text(value: str) -> str:
    """Full-width to half-width (NFKC), brackets unified, whitespace collapsed.

    >>> normalise_text("杭州 （滨江）  科技有限公司")
    '杭州 (滨江) 科技有限公司'
    """
    folded = unicodedata.normalize("NFKC", value)
    return _SPACE.sub(" ", folded).strip()


def normalise_phone(value: str) -> str:
    """Digits only, so '0571-8888 1234' and '057188881234' match."""
    return "".join(char for char in unicodedata.normalize("NFKC", value) if char.isdigit())


def normalise_email(value: str) -> str:
    return normalise_text(value).lower()
