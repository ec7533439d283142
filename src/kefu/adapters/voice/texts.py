"""An IVR flow's texts as prompt clips: rendered when the flow is published, and on demand
for a line that only exists during a call (a ``{slot}`` filled in, an action's answer).

The IVR wing tells the customer text; on the telephone each line of that text is one clip
named by :func:`~kefu.adapters.voice.prompts.text_clip_name`, so the same text is the same
clip every run. A menu's options are told as ``"<digit>. <label>"`` lines off the web, the
way :meth:`kefu.service.ivr.IvrWing` writes them; :func:`flow_texts` lists those lines too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from kefu.adapters.voice.port import UnknownClip
from kefu.adapters.voice.prompts import (
    LANGUAGES,
    Language,
    PromptLibrary,
    synthesize_prompts,
    text_clip_name,
)
from kefu.domain.ivr.flow import Flow, MenuNode

__all__ = ["TextClips", "flow_texts", "spoken_lines"]


def spoken_lines(text: str) -> list[str]:
    """The lines of a told text that are read out (blank lines dropped)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def flow_texts(flows: Iterable[Flow]) -> dict[Language, set[str]]:
    """Every fixed line the flows may tell, per language (texts with a ``{slot}`` are
    filled in during the call and rendered then)."""
    out: dict[Language, set[str]] = {lang: set() for lang in LANGUAGES}
    for flow in flows:
        for node in flow.nodes.values():
            for name in ("prompt", "text", "announce", "offer"):
                texts: Mapping[str, str] = getattr(node, name, None) or {}
                for lang, text in texts.items():
                    if lang in out and "{" not in text:
                        out[lang].update(spoken_lines(text))
            if isinstance(node, MenuNode):
                for option in node.options:
                    for lang, label in option.label.items():
                        if lang in out:
                            out[lang].add(f"{option.digit}. {label}".strip())
    return out


class TextClips:
    """Clip name → 8 kHz µ-law audio, from the cache in *cache_dir*; :meth:`lines` names
    the clips of a text, rendering (espeak-ng + sox, in a thread) lines not yet cached."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.library = PromptLibrary(cache_dir)
        self._render = threading.Lock()  # one writer of the cache's manifest at a time
        self.rendered: list[str] = []
        """Clip names rendered during calls (each costs about 0.1–0.3 s of a core)."""

    def __call__(self, name: str) -> bytes:
        return self.library(name)

    def publish(
        self, flows: Iterable[Flow], extra: Mapping[Language, Iterable[str]] | None = None
    ) -> int:
        """Render the catalog's clips and those of every fixed line of *flows* (and of
        *extra* lines) missing from the cache; returns how many flow lines there are."""
        texts = flow_texts(flows)
        for language, lines in (extra or {}).items():
            texts[language].update(lines)
        with self._render:
            synthesize_prompts(self.cache_dir, texts=texts)
        return sum(len(lines) for lines in texts.values())

    def has(self, name: str) -> bool:
        try:
            self.library(name)
        except UnknownClip:
            return False
        return True

    async def lines(self, language: Language, text: str) -> list[str]:
        """The clip names reading *text* line by line; a line never rendered is rendered
        now (off the event loop)."""
        names = [(text_clip_name(language, line), line) for line in spoken_lines(text)]
        missing = [line for name, line in names if not self.has(name)]
        if missing:
            await asyncio.to_thread(self._synthesize, language, missing)
        return [name for name, _ in names]

    def _synthesize(self, language: Language, lines: list[str]) -> None:
        with self._render:
            synthesize_prompts(self.cache_dir, languages=(language,), texts={language: lines})
            self.rendered += [text_clip_name(language, line) for line in lines]
