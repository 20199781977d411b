"""The package's layers, read from its own imports: which room (a top-level module or folder)
imports which, whether any import runs from a lower layer up to a higher one, and whether
rooms import each other in a circle. `tests/test_architecture.py` holds the package to it;

    python -m tests.architecture docs/module-map.png

draws the map with Graphviz's `dot` (Debian's graphviz package).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "podio_component"

# From the top down; a room imports only rooms of its own layer or below (see
# docs/architecture.md), and never in a circle.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "command line",
        (
            "__main__.py",
            "cli.py",
            "demo.py",
            "listen.py",
            "local_files.py",
            "printed_events.py",
            "snapshot_file.py",
        ),
    ),
    ("local stand-ins", ("emulator",)),
    ("hosts", ("runtime", "signin")),
    ("actions and triggers", ("actions", "triggers", "verify_credentials.py", "events.py")),
    ("step forms", ("forms",)),
    ("credentials and the platform contract", ("credentials", "contract")),
    (
        "Podio items, webhooks, files and collaboration",
        ("items", "webhooks", "files", "collaboration"),
    ),
    ("talking to Podio and to the platform", ("podio", "platform")),
    (
        "ground",
        (
            "settings.py",
            "quick_retry.py",
            "validation.py",
            "extras.py",
            "http.py",
            "json_text.py",
            "spool.py",
            "deadline.py",
            "errors.py",
            "redaction.py",
            "logs.py",
            "context.py",
            "__init__.py",
        ),
    ),
]
LAYER_OF = {room: index for index, (_, rooms) in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str:
    """'podio_component.items.feed' -> 'items'; 'podio_component.cli' -> 'cli.py'."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__.py"
    return parts[0] if (PACKAGE / parts[0]).is_dir() else f"{parts[0]}.py"


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports (at any depth of the
    file, so an import made on use counts too)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("podio_component")}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets |= {node.module} if node.module.startswith("podio_component") else set()
        found[name] = targets
    return found


def room_arrows() -> dict[str, set[str]]:
    """Room -> the other rooms it imports."""
    arrows: dict[str, set[str]] = defaultdict(set)
    for module, targets in imports().items():
        source = room_of(module)
        arrows[source] |= {room_of(t) for t in targets if room_of(t) != source}
    return arrows


def unplaced() -> list[str]:
    """Rooms the layer table does not name."""
    rooms = {room_of(module) for module in imports()}
    return sorted(rooms - set(LAYER_OF))


def upward() -> list[tuple[str, str]]:
    """Imports from a room to a room of a higher layer."""
    return sorted(
        (source, target)
        for source, targets in room_arrows().items()
        for target in targets
        if LAYER_OF[target] < LAYER_OF[source]
    )


def circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """Groups of nodes that import each other in a circle (Tarjan's strongly connected
    components of more than one node)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in arrows.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return found


def lines(room: str) -> int:
    path = PACKAGE / room
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)


def dot_source() -> str:
    """The map for Graphviz: one row per layer, its name at the left; the ground is drawn as
    one box, and every arrow into it as one arrow."""
    ground_title, ground = LAYERS[-1]

    def node(room: str) -> str:
        return "ground" if room in ground else room

    arrows = {(node(a), node(b)) for a, targets in room_arrows().items() for b in targets}
    out = [
        "digraph modules {",
        '  graph [newrank=true, rankdir=TB, nodesep=0.25, ranksep=0.5, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#dde8f3", fontname="Helvetica",'
        " fontsize=10];",
        '  edge [color="#6b7b8c", arrowsize=0.6];',
    ]
    rows: list[list[str]] = [list(rooms) for _, rooms in LAYERS[:-1]] + [["ground"]]
    for number, ((title, _), names) in enumerate(zip(LAYERS, rows, strict=True)):
        out.append(f'  layer{number} [shape=plaintext, style="", label="{title}", fontsize=11];')
        out.append(f"  {{ rank=same; layer{number}; " + " ".join(f'"{n}";' for n in names) + " }")
        if number:
            out.append(f"  layer{number - 1} -> layer{number} [style=invis];")
    for room in (r for rooms in rows[:-1] for r in rooms):
        label = f"{room}/" if (PACKAGE / room).is_dir() else room
        out.append(f'  "{room}" [label="{label}\\n{lines(room)} lines"];')
    listed = "\\n".join(f"{room} {lines(room)}" for room in ground)
    out.append(f'  ground [label="{ground_title}\\n{listed}", fillcolor="#eef2f6"];')
    out += [f'  "{a}" -> "{b}";' for a, b in sorted(arrows) if a != b]
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.architecture OUT.png", file=sys.stderr)
        return 2
    dot = shutil.which("dot")
    if dot is None:
        print("error: needs Graphviz's dot: apt-get install graphviz", file=sys.stderr)
        return 1
    problems = unplaced() + [f"{a} -> {b} runs up" for a, b in upward()]
    problems += [" <-> ".join(group) for group in circles(room_arrows())]
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 1
    subprocess.run(
        [dot, "-Tpng", "-Gdpi=110", "-o", argv[0]], input=dot_source(), text=True, check=True
    )
    print(f"written to {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
