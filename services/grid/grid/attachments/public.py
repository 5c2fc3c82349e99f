"""The grid's public file paths: the local store's signed upload and download links.

The gateway forwards `FILE_PREFIX` to the grid (gateway/routing.py) without credentials: the
signed token in the path is the credential (shared/file_routes.py).
"""

from __future__ import annotations

from shared.file_routes import file_paths

FILE_PREFIX = "/v1/grid-files"
PUBLIC_PATHS = file_paths(FILE_PREFIX)
