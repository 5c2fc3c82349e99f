"""The layers of docs/architecture.md, checked on the source: routers see no session, pool or
repository; SQL is built only in repositories (and models, tables, migrations, seeds and CLIs);
no service imports another service, the gateway, or `tools/`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "registry": ROOT / "services/registry/registry",
    "service_requests": ROOT / "services/service-requests/service_requests",
    "elections": ROOT / "services/elections/elections",
    "grid": ROOT / "services/grid/grid",
    "identity": ROOT / "services/identity/identity",
    "notifications": ROOT / "services/notifications/notifications",
    "gateway": ROOT / "gateway",
}
# what builds SQL: a module importing one of these from sqlalchemy is a repository in all but name
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "tuple_", "exists", "union_all", "literal_column"}
SQL_HOMES = re.compile(r"repositor|models|tables|database|seed|cli")
# registry/common.py: `after_row`, the keyset clause its repositories share (nothing else calls it)
SQL_HOMES_BY_EXCEPTION = {PACKAGES["registry"] / "common.py"}
# the gateway is a proxy, not a layered service: its replay-nonce store and readiness probe are
# infrastructure of their own; its one domain (partners) follows the layers
GATEWAY_INFRASTRUCTURE = {PACKAGES["gateway"] / "message_signatures.py", PACKAGES["gateway"] / "operations.py"}
ROUTER_FORBIDDEN_MODULES = re.compile(r"^(sqlalchemy|asyncpg)\b|repositor|hot_path")
ROUTER_FORBIDDEN_NAMES = {"session", "pool", "sessionmaker", "SessionDep", "AsyncSession", "hot_path_pool"}
# the one sanctioned CLI dependency on tools/: identity's dev command finds `make run`'s database
TOOLS_IMPORTS_ALLOWED = {PACKAGES["identity"] / "cli.py"}


def sources(packages: dict[str, Path]) -> list[tuple[str, Path]]:
    return [
        (package, path)
        for package, folder in packages.items()
        for path in sorted(folder.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def violations(packages: dict[str, Path] = PACKAGES, root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for package, path in sources(packages):
        where = path.relative_to(root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        router = path.name.startswith("router")
        for module, names in imports(tree):
            top = module.split(".")[0]
            if top in packages and top != package:
                found.append(f"{where}: imports another service: {module}")
            if top == "tools" and path not in TOOLS_IMPORTS_ALLOWED:
                found.append(f"{where}: imports tools/: {module}")
            if router and ROUTER_FORBIDDEN_MODULES.search(module):
                found.append(f"{where}: a router imports {module}")
            builders = set(names) & SQL_BUILDERS
            if (
                top == "sqlalchemy"
                and builders
                and not SQL_HOMES.search(path.name)
                and path not in SQL_HOMES_BY_EXCEPTION | GATEWAY_INFRASTRUCTURE
            ):
                found.append(f"{where}: builds SQL outside a repository: {sorted(builders)}")
        if router:
            for node in ast.walk(tree):
                name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
                if name in ROUTER_FORBIDDEN_NAMES:
                    found.append(f"{where}:{getattr(node, 'lineno', '?')}: a router touches {name}")
    return found


def test_the_layers_hold_in_every_service() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from registry.enterprises.repository import X\nsession = 1\n", ["a router imports", "a router touches"]),
        ("from grid.models import Grid\n", ["imports another service"]),
        ("from sqlalchemy import select\n", []),  # a router may not import sqlalchemy at all
    ],
)
def test_the_checker_sees_a_breach(tmp_path: Path, source: str, expected: list[str]) -> None:
    """The check is not vacuous: a planted router breaking the rules is reported."""
    folder = tmp_path / "service_requests" / "things"
    folder.mkdir(parents=True)
    (tmp_path / "grid").mkdir()
    (folder / "router.py").write_text(source, encoding="utf-8")
    found = violations({"service_requests": tmp_path / "service_requests", "grid": tmp_path / "grid"}, tmp_path)
    assert found, source
    for fragment in expected:
        assert any(fragment in line for line in found), (fragment, found)
