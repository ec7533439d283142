"""Take the README's wallboard screenshot: the demo (default traffic) watched for a minute
by a supervisor in headless Debian chromium, saved as a small PNG.

Run from the repository root: ``.venv/bin/python tests/e2e/wallboard_screenshot.py``
(``--seconds``, ``--lang zh|en``, ``--out docs/wallboard.png``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from browser_helpers import Demo, launch_chromium, open_wallboard

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 300_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="traffic before the shot")
    parser.add_argument("--lang", choices=["en", "zh"], default="en", help="wallboard language")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "wallboard.png")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be > 0")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kefu-shot-") as tmp, sync_playwright() as pw:
        demo = Demo(Path(tmp) / "demo.sqlite3", seed=2024)
        demo.start()
        try:
            context = launch_chromium(pw, locale="en-US")
            page = context.new_page()
            open_wallboard(page, demo)
            if args.lang == "zh":
                page.click("#lang")
            page.wait_for_selector("#status.online")
            time.sleep(args.seconds)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            context.close()
        finally:
            demo.stop()
    size = args.out.stat().st_size
    print(f"{args.out} ({size / 1000:.0f} kB)")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES / 1000:.0f} kB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
