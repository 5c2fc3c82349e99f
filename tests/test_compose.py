"""docker-compose.yml describes the same system (no Docker engine runs here, so it is validated)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tools.topology import SERVICES

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_every_process_from_the_image() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for process in (*SERVICES,):
        definition = services[process.name]
        module = process.factory.split(":")[0]
        assert module in " ".join(definition["command"])
        assert definition["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "8000:8000" in services["gateway"]["ports"]
    assert "gateway.app:create_app" in services["gateway"]["command"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["valkey"]["image"].startswith("valkey/valkey:")
    assert services["gateway"]["environment"]["REDIS_URL"] == "redis://valkey:6379/0"
    assert "valkey" in services["gateway"]["depends_on"]
    # attachments: the grid's files in MinIO, whose bucket exists before the grid starts
    assert services["minio"]["image"].startswith("minio/minio:")
    grid = services["grid"]
    assert services["service-requests"]["environment"]["REQUESTS_STORAGE_BACKEND"] == "s3"
    assert services["service-requests"]["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
    assert grid["environment"]["GRID_STORAGE_BACKEND"] == "s3"
    assert grid["environment"]["GRID_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert grid["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
    assert grid["environment"]["GRID_S3_BUCKET"] in " ".join(services["minio-bucket"]["command"])


def test_the_image_copies_everything_the_processes_import() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for path in ("shared", "gateway", "services", "migrations", "tools", "alembic.ini", "requirements.txt"):
        assert f"COPY {path}" in dockerfile
