"""Tokenizers for keyword matching: jieba (a dictionary segmenter for Chinese) or the plain one.

jieba loads its dictionary on the first :meth:`JiebaTokenizer.tokens` call, not at import,
so ``kefu --help`` and flows answered by digits never pay for it: 0.6–0.8 s of CPU measured
on a shared 2-core machine, whether jieba builds its prefix dictionary or reads
the cache file it writes to the temp directory (``jieba.cache``, about 9 MB) the first time.
jieba reports that on its logger at DEBUG level to stderr; the logger is raised to WARNING
here. It downloads nothing (the dictionary ships in the wheel). A process loads it once for
each list of added words: tokenizers made with the same words share it (it is only read once
they are added), so a process that builds platform after platform (a test run) does not
read the 9 MB again each time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from kefu.domain.ivr.matching import PlainTokenizer, Tokenizer, plain_tokens

__all__ = ["JiebaTokenizer", "default_tokenizer", "jieba_available"]

_LOADED: dict[tuple[str, ...], Any] = {}  # added words → their loaded jieba tokenizer
_LOADING = threading.Lock()


def jieba_available() -> bool:
    """True when the jieba package can be imported."""
    try:
        import jieba  # noqa: F401
    except ImportError:
        return False
    return True


class JiebaTokenizer:
    """Splits with jieba; latin words are lower-cased, blanks and punctuation dropped.

    ``words`` are added to jieba's dictionary (e.g. service names a flow's keywords use), so
    they come out as single tokens.
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._words = tuple(words)
        self._jieba: Any = None

    def _load(self) -> Any:
        with _LOADING:
            tk = _LOADED.get(self._words)
            if tk is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in self._words:
                    tk.add_word(word)
                _LOADED[self._words] = tk
        self._jieba = tk
        return tk

    def tokens(self, text: str) -> Sequence[str]:
        tk = self._jieba or self._load()
        out: list[str] = []
        for piece in tk.lcut(text):
            # jieba keeps latin words whole; the plain split lower-cases them and drops punctuation.
            out.extend(plain_tokens(piece) if piece.isascii() else _cjk(piece))
        return out


def _cjk(piece: str) -> list[str]:
    piece = piece.strip()
    return [piece] if piece and piece.isalnum() else []


def default_tokenizer(words: Iterable[str] = ()) -> Tokenizer:
    """jieba when installed, else the plain fallback."""
    return JiebaTokenizer(words) if jieba_available() else PlainTokenizer()
