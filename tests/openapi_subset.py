"""The part of an OpenAPI 3.0 description that some operations need, copied unchanged.

docs/openapi/vtex-oms.json is ``subset()`` of VTEX's Orders API description for ``OPERATIONS``,
with its own ``info`` and ``x-source``; the contract tests hold it to the official file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

# (method, path) of every call batch-uploader makes to VTEX.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("patch", "/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}"),
    ("put", "/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}/tracking"),
    ("get", "/api/oms/pvt/orders/{orderId}"),
)

Spec = dict[str, Any]


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _component(ref: str) -> tuple[str, str]:
    """``#/components/<section>/<name>`` as (section, name); anything else cannot be copied."""
    parts = ref.split("/")
    if len(parts) != 4 or parts[:2] != ["#", "components"]:
        raise ValueError(f"not a reference to a component of the same file: {ref}")
    # JSON Pointer escapes (RFC 6901).
    return parts[2], parts[3].replace("~1", "/").replace("~0", "~")


def subset(full: Spec, operations: Iterable[tuple[str, str]]) -> Spec:
    """``operations`` of ``full`` with everything they need, and nothing else, unchanged.

    Kept: ``openapi``, ``info``, ``servers`` and ``security``; each operation (without the other
    methods of its path); every component they reference, transitively; the security schemes
    the requirements name; and the tags the operations use. Copies, in ``full``'s order.
    """
    paths: dict[str, dict[str, Any]] = {}
    for method, path in operations:
        paths.setdefault(path, {})[method] = full["paths"][path][method]

    wanted: set[tuple[str, str]] = set()
    pending = list(_refs(paths))
    while pending:
        key = _component(pending.pop())
        if key not in wanted:
            wanted.add(key)
            section, name = key
            pending.extend(_refs(full["components"][section][name]))

    # Security requirements name their schemes instead of referencing them.
    requirements = [*full.get("security", [])]
    for item in paths.values():
        for operation in item.values():
            requirements.extend(operation.get("security", []))
    wanted.update(("securitySchemes", name) for req in requirements for name in req)
    missing = {key for key in wanted if key[1] not in full.get("components", {}).get(key[0], {})}
    if missing:
        raise KeyError(f"named but not described: {sorted(missing)}")

    components = {
        section: {name: value for name, value in entries.items() if (section, name) in wanted}
        for section, entries in full.get("components", {}).items()
    }
    used_tags = {
        tag for item in paths.values() for op in item.values() for tag in op.get("tags", [])
    }
    ordered_paths = {path: paths[path] for path in full["paths"] if path in paths}
    result: Spec = {
        "openapi": full["openapi"],
        "info": full["info"],
        **{key: full[key] for key in ("servers", "security") if key in full},
        "paths": ordered_paths,
        "components": {section: entries for section, entries in components.items() if entries},
        "tags": [tag for tag in full.get("tags", []) if tag["name"] in used_tags],
    }
    return copy.deepcopy(result)
