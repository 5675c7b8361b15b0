"""Regenerate the report's golden files in tests/report/golden/ (never edit them by hand).

    python scripts/regen_golden.py          # rewrite them
    python scripts/regen_golden.py --check  # exit 1 if any would change

Review the diff (git diff tests/report/golden) before committing: every change in it is a change a
reader of the report or the workbook will see.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "report" / "golden"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.golden import golden_outputs

    check = "--check" in argv
    GOLDEN.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in golden_outputs().items():
        path = GOLDEN / name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            changed.append(name)
            if not check:
                path.write_text(text, encoding="utf-8", newline="\n")
    for name in changed:
        print(f"{'would change' if check else 'wrote'} tests/report/golden/{name}")
    if not changed:
        print("golden files are up to date")
    return 1 if (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
