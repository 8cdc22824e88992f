"""UI text through gettext catalogues (Babel .po files in dashboard/translations).

Message ids are English; `zh` is the default language whatever the browser
says (CONTRACT "Pages"); `?lang=en` switches and is kept in a cookie.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "lang"
_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    path = _DIR / f"{lang}.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=None)
    return {m.id: m.string for m in cat if m.id and m.string}


def gettext(lang: str, msgid: str) -> str:
    return catalogue(lang).get(msgid, msgid)


def pick_lang(query_lang: str | None, cookie_lang: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


class Translator:
    """`_ = Translator(lang)`; `_("Open incidents")`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self._cat = catalogue(self.lang)

    def __call__(self, msgid: str) -> str:
        return self._cat.get(msgid, msgid)

    def many(self, msgids: list[str]) -> dict[str, str]:
        return {m: self(m) for m in msgids}
