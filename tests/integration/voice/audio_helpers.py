"""Audio for the voice tests: noise to say, a phone that plays it, and how well what a
phone heard holds what another said (normalized cross-correlation)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.signal import correlate
from voice_helpers import SCENARIOS, require_tool, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode, ulaw_encode

__all__ = ["best_correlation", "hears", "noise", "playing_phone"]


def best_correlation(signal: npt.NDArray[np.float64], reference: npt.NDArray[np.float64]) -> float:
    """The highest normalized cross-correlation of *reference* anywhere in *signal* (FFT)."""
    ref = reference - reference.mean()
    ref /= np.linalg.norm(ref) or 1.0
    n = len(ref)
    if len(signal) < n:
        return 0.0
    dots = correlate(signal, ref, mode="valid", method="fft")
    sums = np.concatenate(([0.0], np.cumsum(signal)))
    squares = np.concatenate(([0.0], np.cumsum(signal * signal)))
    window_sum = sums[n:] - sums[:-n]
    energy = squares[n:] - squares[:-n] - window_sum * window_sum / n
    norms = np.sqrt(np.maximum(energy, 0.0))
    scores = dots / np.where(norms > 1e-6 * n, norms, np.inf)
    return float(scores.max())


def noise(seed: int, seconds: float, level: float = 3000) -> tuple[bytes, npt.NDArray[np.float64]]:
    """Noise (standard deviation *level*) as sent (µ-law) and as heard (decoded)."""
    samples = np.random.default_rng(seed).normal(0, level, int(8000 * seconds))
    samples = samples.clip(-32000, 32000)
    said = ulaw_encode(samples.astype(np.int16))
    return said, ulaw_decode(said).astype(np.float64)


def playing_phone(
    workdir: Path,
    port: int,
    audio: bytes,
    rtp_port: int,
    scenario: str = "phone_answers_and_plays.xml",
) -> subprocess.Popen[str]:
    """A phone kefu rings: answers, plays *audio*, receives on *rtp_port* (sipp); with
    ``scenario="phone_hangs_up.xml"`` it hangs up itself 1.5 s after answering."""
    workdir.mkdir()
    write_rtp_pcap(workdir / "phone.pcap", audio)
    return subprocess.Popen(
        [require_tool("sipp"), "-sf", str(SCENARIOS / scenario),
         "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-key", "rtpport", str(rtp_port),
         "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def hears(
    signal: npt.NDArray[np.float64], reference: npt.NDArray[np.float64], *, worst: bool = False
) -> float:
    """How well *signal* holds *reference*: the median over quarter-second pieces of the
    reference of each piece's best correlation (the highest with *worst*). A mix is
    played from a 60 ms jitter buffer, and on a loaded machine a late packet shifts what
    follows by a frame, which one long window would count against it; unrelated audio
    scores about 0.1 on a piece."""
    pieces = [reference[i : i + 2000] for i in range(0, len(reference) - 1999, 2000)]
    scores = [best_correlation(signal, piece) for piece in pieces]
    return float(max(scores) if worst else np.median(scores))
