"""The version of the logic that produced a table: a hash of its transform modules' code, never the git commit.

Each module is parsed and hashed without its comments, formatting and docstrings, so a README edit, a
comment or a reflowed line reprocesses nothing, while a changed breakpoint, rule or parameter does. It
reads the installed modules' source (importlib), so a checkout, a wheel and a Docker image without .git
give the same versions for the same code.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path


class LogicNotFound(LookupError):
    """A declared logic module is not importable: the declaration names a module that does not exist."""


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return tree


def code_fingerprint(source: str) -> str:
    """The hash of Python source as the interpreter sees it: comments, layout and docstrings do not count."""
    tree = _without_docstrings(ast.parse(source))
    return hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest()


def _module_files(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise LogicNotFound(f"logic module {name!r} cannot be found: fix the table's `logic` in the lake catalog")
    if spec.submodule_search_locations:  # a package: every module in it
        return sorted(p for location in spec.submodule_search_locations for p in Path(location).rglob("*.py"))
    return [Path(spec.origin)]


@lru_cache(maxsize=64)
def _logic_version(names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        for path in _module_files(name):
            root = name.replace(".", "/")
            relative = path.as_posix()[path.as_posix().rfind(root) :]  # the same in a checkout, a wheel and an image
            digest.update(f"{relative}\0{code_fingerprint(path.read_text(encoding='utf-8'))}\n".encode())
    return digest.hexdigest()[:16]


def logic_version(modules: Iterable[str]) -> str:
    """One hash over the code of these modules (and packages), independent of where they are installed."""
    return _logic_version(tuple(sorted(set(modules))))
