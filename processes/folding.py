"""Names folded for searching: case, Vietnamese tone and vowel marks, đ and spacing aside, so
"nguyen van an" finds "Nguyễn Văn An" the same way on SQLite and PostgreSQL (the folded text
is stored beside the name; neither database is asked to fold)."""

from __future__ import annotations

import unicodedata

# Letters whose plain form is not their decomposition's base.
_PLAIN = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str) -> str:
    """Returns the text in lower case without marks, its spaces collapsed: "nguyen van an"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_PLAIN))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())
