"""The service's public file paths: the local store's signed upload and download links (shared/file_routes.py)."""

from __future__ import annotations

from shared.file_routes import file_paths

FILE_PREFIX = "/v1/request-files"
PUBLIC_PATHS = file_paths(FILE_PREFIX)
