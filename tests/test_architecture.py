"""The package's import graph: layers depend one way, no cycles, no private names across modules.

Every ``import`` in ``tfgan/`` counts, also the ones inside functions (a lazy import that closes a
cycle is still a cycle). The layers, lowest first (a module may import its own layer and the ones
below it; within a layer the cycle check keeps the order one way):

    0  foundation   tfgan (run_mode, smoke_mode), tfgan.errors, tfgan.checks (the labs' visible checks),
                    tfgan.fileio (atomic writes, path checks)
    1  ops          tfgan.ops: NumPy teaching ops, tiled inference
    2  numerics     losses, layers, metrics, viz, distribute: tensors and pictures, nothing about
                    files (distribute: strategies and the per-replica arithmetic that layers and
                    models use under tf.distribute)
    3  files        imageio: users' image files (draws nothing itself; uses viz)
    4  data         tfgan.data: datasets, offline copies (reads files through imageio)
    5  networks     backbones, classifier, style: frozen and small auxiliary networks, style transfer
    6  models       tfgan.models: one paper per file, the registry
    7  runs         runs, callbacks, trainer, inference: run directories, checkpoints,
                    training, using a trained run; inversion: z of an image for a trained G
    8  CLIs         cli, train, generate, evaluate, stylize, translate, upscale, experiments
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tfgan"

LAYERS = [
    ("foundation", ["tfgan", "tfgan.errors", "tfgan.checks", "tfgan.fileio"]),
    ("ops", ["tfgan.ops"]),
    ("numerics", ["tfgan.losses", "tfgan.layers", "tfgan.metrics", "tfgan.viz", "tfgan.distribute",
                  "tfgan.precision"]),
    ("files", ["tfgan.imageio"]),
    ("data", ["tfgan.data"]),
    ("networks", ["tfgan.backbones", "tfgan.classifier", "tfgan.style"]),
    ("models", ["tfgan.models"]),
    ("runs", ["tfgan.runs", "tfgan.callbacks", "tfgan.trainer", "tfgan.inference", "tfgan.inversion"]),
    ("CLIs", ["tfgan.cli", "tfgan.train", "tfgan.generate", "tfgan.evaluate", "tfgan.stylize",
              "tfgan.translate", "tfgan.upscale", "tfgan.experiments"]),
]
RANK = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}

#: Private names still used across modules, each with the change that removes it. An entry that is
#: no longer used does no harm; delete it when its change lands.
KNOWN_PRIVATE = {}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_module(name):
    return name in MODULES


def rank_of(module):
    """The layer of ``module``: that of its longest listed prefix."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in RANK and (prefix != "tfgan" or module == "tfgan"):
            return RANK[prefix]
    return None


def resolve_from(module, node):
    """The absolute module a ``from X import ...`` statement reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def parse(module, source=None):
    return ast.parse(MODULES[module].read_text() if source is None else source, filename=module)


def imports_of(module, source=None):
    """``[(lineno, imported tfgan module, imported names)]`` of every import in ``module``."""
    tree = parse(module, source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, ()) for a in node.names if a.name.split(".")[0] == "tfgan"]
        elif isinstance(node, ast.ImportFrom):
            source = resolve_from(module, node)
            if source.split(".")[0] != "tfgan":
                continue
            names = []
            for alias in node.names:
                if is_module(f"{source}.{alias.name}"):  # ``from tfgan import models``: a submodule
                    found.append((node.lineno, f"{source}.{alias.name}", ()))
                else:
                    names.append(alias.name)
            if names:
                found.append((node.lineno, source, tuple(names)))
    return found


def graph():
    return {m: {target for _, target, _ in imports_of(m) if target != m} for m in MODULES}


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if rank_of(m) is None]
    assert not missing, f"Modules in no layer: {missing}; add each to LAYERS in {Path(__file__).name}"


def upward_imports(module, source=None):
    """Imports of ``module`` from a higher layer, as readable lines."""
    return [
        f"{module}:{line} ({LAYERS[rank_of(module)][0]}) imports {target} ({LAYERS[rank_of(target)][0]})"
        for line, target, _ in imports_of(module, source)
        if target in MODULES and rank_of(target) is not None and rank_of(target) > rank_of(module)
    ]


def test_imports_follow_the_layer_order():
    upward = [line for module in MODULES for line in upward_imports(module)]
    assert not upward, "Imports against the layer order:\n" + "\n".join(upward)


def test_layer_check_flags_a_model_importing_the_cli():
    source = "def f():\n    from tfgan.train import total_steps\n    from tfgan import losses\n"
    assert upward_imports("tfgan.models.cyclegan", source) == [
        "tfgan.models.cyclegan:2 (models) imports tfgan.train (CLIs)"]
    assert rank_of("tfgan.ops.tiling") < rank_of("tfgan.models.srgan") < rank_of("tfgan.trainer")


def find_cycle(edges):
    """One import cycle as a list of modules, or None (depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles():
    cycle = find_cycle(graph())
    assert cycle is None, "Import cycle: " + " -> ".join(cycle)


def test_find_cycle_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def private_uses(module, source=None):
    """``(line, module, name)`` of private names that ``module`` takes from another tfgan module:
    ``from tfgan.x import _y`` and ``x._y`` where ``x`` is a tfgan module it imported."""
    tree = parse(module, source)
    aliases = {}  # local name -> tfgan module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "tfgan":
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else "tfgan"
        elif isinstance(node, ast.ImportFrom):
            source = resolve_from(module, node)
            if source.split(".")[0] != "tfgan":
                continue
            for a in node.names:
                if is_module(f"{source}.{a.name}"):
                    aliases[a.asname or a.name] = f"{source}.{a.name}"
                elif a.name.startswith("_") and source != module:
                    found.append((node.lineno, source, a.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = dotted(node.value, aliases)
            if owner in MODULES and owner != module:
                found.append((node.lineno, owner, node.attr))
    return found


def dotted(node, aliases):
    """The tfgan module an expression such as ``data`` or ``tfgan.style.perceptual`` names, or None."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def test_no_private_names_across_modules():
    uses = [(m, *use) for m in MODULES for use in private_uses(m)]
    bad = [f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} uses {owner}.{name}"
           for m, line, owner, name in uses if (owner, name) not in KNOWN_PRIVATE]
    assert not bad, "Private names used across modules (make them public or move the code):\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from tfgan.train import _Parser\n", [(1, "tfgan.train", "_Parser")]),
        ("from tfgan import data\nx = data._offline()\n", [(2, "tfgan.data", "_offline")]),
        ("import tfgan.data\nx = tfgan.data._offline()\n", [(2, "tfgan.data", "_offline")]),
        ("from tfgan import data\nx = data.load()\ny = self._cache\n", []),
    ],
)
def test_private_name_check_sees_imports_and_attributes(source, expected):
    assert private_uses("tfgan.generate", source) == expected
