"""The package tree is its pipeline: imports only point down the layers (generator/__init__)."""

from __future__ import annotations

import ast
from pathlib import Path

import generator

PACKAGE = Path(generator.__file__).resolve().parent
# lowest first; a module may import its own folder and any lower rank
RANKS = {"utils": 0, "config": 1, "pubmed": 2, "kb": 3, "site": 4, "papersurfer": 4}
TOP = 5  # cli, pipeline, scaffold, sample, __main__
MAX_LINES = 600


def layer_of(module: str) -> str:
    """``generator.kb.pages`` → ``kb``; a module at the top (``generator.cli``) → ``top``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or parts[-1] in RANKS else "top"


def rank(layer: str) -> int:
    return RANKS.get(layer, TOP)


def imported(source: str) -> set[str]:
    """The ``generator`` modules (or packages) a module's source imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("generator."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "generator":  # from generator import pipeline
                found.update(f"generator.{a.name}" for a in node.names)
            elif node.module.startswith("generator."):
                found.add(node.module)
    return found


def violations(modules: dict[str, str]) -> list[str]:
    """``importer → imported`` pairs that point up the layers or sideways between folders."""
    wrong = []
    for name, source in sorted(modules.items()):
        own = layer_of(name)
        for target in sorted(imported(source)):
            other = layer_of(target)
            if other == own:
                continue
            if rank(other) >= rank(own):
                wrong.append(f"{name} ({own}) imports {target} ({other})")
    return wrong


def package_modules() -> dict[str, str]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join(["generator", *parts])] = path.read_text(encoding="utf-8")
    return out


def test_imports_only_point_down_the_layers() -> None:
    modules = package_modules()
    assert {layer_of(m) for m in modules} == {*RANKS, "top"}  # every folder is a known layer
    assert violations(modules) == []


def test_the_check_sees_an_import_up_or_sideways() -> None:
    modules = {
        "generator.utils.store": "from generator.kb.pages import split_page\n",
        "generator.kb.pages": "def f():\n    from generator.site import index\n",
        "generator.site.index": "import generator.papersurfer.notes\n",
        "generator.pubmed.parse": "from generator import pipeline\n",
        "generator.site.build": "from generator.kb.catalog import paper_metas\n",  # down: fine
        "generator.cli": "from generator.site.build import build_site\n",  # down: fine
    }
    assert violations(modules) == [
        "generator.kb.pages (kb) imports generator.site (site)",
        "generator.pubmed.parse (pubmed) imports generator.pipeline (top)",
        "generator.site.index (site) imports generator.papersurfer.notes (papersurfer)",
        "generator.utils.store (utils) imports generator.kb.pages (kb)",
    ]


def test_no_module_is_longer_than_one_reads_in_a_sitting() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_readme_code_map_names_every_module() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("Code map")
    code_map = readme[start : readme.index("\n## ", start)]
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.name in ("__init__.py", "__main__.py"):
            continue
        name = rel.as_posix() if rel.parent.name == "" else f"{rel.parent.name}/{rel.name}"
        assert f"`{name}`" in code_map, f"README's code map misses {name}"
