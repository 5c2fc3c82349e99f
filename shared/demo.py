"""The demo's shared facts: the ids of the registry's demo communities and buildings.

Each service seeds its own data and no service imports another, so the ids that seeds of several
services (registry, grid, service-requests) must agree on are uuid5 of stable names, defined here
once. The registry's seed creates these records; the others refer to them.
"""

from __future__ import annotations

import datetime as dt
import uuid

REGISTRY_NAMESPACE = uuid.UUID("6f1c1d2e-5b0a-4c53-9e55-0c1f2a7b9d10")


def registry_id(*parts: object) -> uuid.UUID:
    """The uuid5 of a registry seed record; the same on every machine and every run."""
    return uuid.uuid5(REGISTRY_NAMESPACE, "/".join(str(part) for part in parts))


ZHONGXING_ID = registry_id("community", "zhongxing")
XINGGUANG_ID = registry_id("community", "xingguang")
IOT_ID = registry_id("community", "iot")
XINGGUANG_COMPLEX_ID = registry_id("building", "xingguang-complex")
XINGGUANG_TOWER_IDS = tuple(registry_id("building", "xingguang-tower", number) for number in range(1, 31))
IOT_BUILDING_IDS = tuple(registry_id("building", "iot", number) for number in range(1, 5))
FORMED_ON = dt.date(2023, 5, 12)  # the towers moved from Zhongxing to Xingguang
