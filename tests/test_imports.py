"""The import graph of the runtime packages: no cycles, and no runtime module imports
the development package `devkit` (a production install leaves it out).

Imports inside functions count too: a cycle hidden in a function still makes the
first import order decide whether a name exists yet."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ("edge", "drivers", "kiosk", "firmware_config", "models")
NOT_RUNTIME = ("models/train", "models/demo", "models/synth")  # setup-time and development tools


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_files() -> list[Path]:
    files = [p for pkg in RUNTIME for p in (ROOT / pkg).rglob("*.py")]
    return [p for p in files if not any(str(p.relative_to(ROOT)).startswith(n) for n in NOT_RUNTIME)]


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (never imported at run time)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if _is_type_checking(node):
            stack.extend(node.orelse)  # type: ignore[attr-defined]
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules `path` imports at run time (absolute names; `from a import b` is a.b when b
    is a module); imports only for type checkers are left out."""
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in known else node.module)
    return out


def _graph() -> dict[str, set[str]]:
    files = _runtime_files()
    known = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, known) & known for p in files}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_runtime_packages_have_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_runtime_packages_never_import_devkit() -> None:
    offenders = {
        str(p.relative_to(ROOT))
        for p in _runtime_files()
        if any(m == "devkit" or m.startswith("devkit.") for m in _imports(p, set()))
    }
    assert offenders == set()


def test_onnx_is_loaded_only_for_graph_fusion() -> None:
    # pyproject: onnx is for setup and for load-time graph fusion (inference.fuse_graphs);
    # building sessions without fusion must not import it.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from edge.vision.runtime import SessionFactory\n"
        "from firmware_config.inference import InferenceConfig\n"
        "from models.manifest import resolve_model\n"
        "SessionFactory(InferenceConfig(fuse_graphs=False)).create(resolve_model('plate_det_416'))\n"
        "assert 'onnx' not in sys.modules, 'onnx imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_runtime_module_imports_with_devkit_absent() -> None:
    # What a production install without devkit/ would do: import everything the daemon
    # and the technician commands are made of, with `devkit` unimportable.
    import subprocess
    import sys

    modules = sorted(_module_name(p) for p in _runtime_files())
    code = (
        "import importlib, sys\n"
        "sys.modules['devkit'] = None  # any import of it raises ImportError\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
