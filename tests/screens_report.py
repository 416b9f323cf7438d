"""Tables from the records tests/test_screens.py leaves in tests/screenshots/screens/.

Run: python tests/screens_report.py [folder]

Prints axe-core's findings by rule and mode (pages and nodes, over every page and size), the
compressed weight of every page, and the layout problems found, as Markdown tables.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "screenshots" / "screens"


def load(folder: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def axe_table(records: list[dict]) -> list[str]:
    rows: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(
        lambda: {"light": [0, 0], "dark": [0, 0]}
    )
    for record in records:
        for mode, violations in record["axe"].items():
            for violation in violations:
                counts = rows[violation["rule"], violation["impact"]][mode]
                counts[0] += 1
                counts[1] += violation["count"]
    lines = [
        "| rule | impact | light: page×size | light: nodes | dark: page×size | dark: nodes |",
        "|---|---|---|---|---|---|",
    ]
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    for (rule, impact), modes in sorted(
        rows.items(), key=lambda item: (order[item[0][1]], item[0][0])
    ):
        light, dark = modes["light"], modes["dark"]
        lines.append(f"| {rule} | {impact} | {light[0]} | {light[1]} | {dark[0]} | {dark[1]} |")
    if not rows:
        lines.append("| (none) | | 0 | 0 | 0 | 0 |")
    return lines


def weight_table(records: list[dict]) -> list[str]:
    lines = ["| page | kind | transferred (raw) | transferred (gzip) |", "|---|---|---|---|"]
    for record in records:
        if record["size"] != "desktop":
            continue
        weight = record["weight"]
        lines.append(
            f"| {record['page']} | {weight['kind']} | {weight['raw'] / 1e6:.2f} MB"
            f" | {weight['gzip'] / 1e6:.2f} MB |"
        )
    return lines


def layout_table(records: list[dict]) -> list[str]:
    lines = [
        "| page | size | sideways scroll | clipped | scroll box without cue | controls |",
        "|---|---|---|---|---|---|",
    ]
    for record in records:
        layout = record["layout"]
        if layout["pageScroll"] > 0 or layout["clipped"] or layout["noCue"] or layout["tooSmall"]:
            lines.append(
                f"| {record['page']} | {record['size']} | {max(layout['pageScroll'], 0)} px"
                f" | {len(layout['clipped'])} | {len(layout['noCue'])}"
                f" | {'; '.join(layout['tooSmall'][:4])} |"
            )
    return lines


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER
    records = load(folder)
    if not records:
        print(f"no records in {folder}: run pytest tests/test_screens.py first", file=sys.stderr)
        return 1
    for title, table in (
        ("axe-core violations", axe_table),
        ("Page weight (desktop)", weight_table),
        ("Layout problems", layout_table),
    ):
        print(f"\n## {title}\n")
        print("\n".join(table(records)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
