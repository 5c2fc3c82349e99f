"""Put the repository's packages on the venv's path (a .pth file), so `python -m gateway.cli` works."""

from __future__ import annotations

import site
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHS = [ROOT, *sorted(path for path in (ROOT / "services").iterdir() if path.is_dir())]

if __name__ == "__main__":
    target = Path(site.getsitepackages()[0]) / "binjiang_platform.pth"
    target.write_text("".join(f"{path}\n" for path in PATHS))
    print(f"wrote {target}", file=sys.stderr)
