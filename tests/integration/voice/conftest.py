"""Prompt clips for the voice tests, synthesized once per session with espeak-ng and sox."""

from __future__ import annotations

from pathlib import Path

import pytest
from voice_helpers import require_tool

from kefu.adapters.voice.prompts import synthesize_prompts


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip cache with every Chinese and English clip."""
    require_tool("espeak-ng")
    require_tool("sox")
    cache = tmp_path_factory.mktemp("prompts")
    synthesize_prompts(cache)
    return cache
