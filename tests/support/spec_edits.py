"""For the tests that regenerate the client: operations to add to a copy of openapi.yaml,
and running checks against the client generated from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any


def paging_operation(operation_id: str, tag: str, page: str, summary: str) -> dict[str, Any]:
    """A path item: GET with an `id` path parameter, the spec's `limit` and `cursor`, a
    200 whose body is the component schema `page`, and the spec's 404."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "security": [{"apiKey": []}],
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"$ref": "#/components/parameters/Limit"},
                {"$ref": "#/components/parameters/Cursor"},
            ],
            "responses": {
                "200": {
                    "description": "A page.",
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{page}"}}
                    },
                },
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    }


def run_checks(client_dir: Path, checks: str, *args: str) -> None:
    """Run `checks` (a script ending with `print("OK")`) in a fresh interpreter whose
    `vt_refs_api` is the client generated into `client_dir`; fail with its traceback."""
    prelude = f"import sys; sys.path.insert(0, {str(client_dir)!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + checks, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=client_dir,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == "OK"
