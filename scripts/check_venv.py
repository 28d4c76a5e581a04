"""Exit 0 when the running interpreter has exactly the versions pinned in requirements.lock.

The Makefile runs this on every `make setup/run/test` instead of trusting a stamp file: a stamp
says "pip ran once", not "every package is still there at the pinned version" (a lock edited
since, a half-finished install, a package removed by hand).
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def problems(lock: Path) -> list[str]:
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    found = []
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, _, version = line.partition("==")
        have = installed.get(canonical(name.split("[", 1)[0].strip()))
        if have is None:
            found.append(f"{name} is missing")
        elif version and have != version.strip():
            found.append(f"{name} is {have}, the lock pins {version.strip()}")
    return found


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")
    found = problems(lock)
    for problem in found:
        print(f"check_venv: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
