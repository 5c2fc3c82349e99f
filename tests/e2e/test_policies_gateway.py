"""Issue 18, "Policy matching", through the real gateway and registry processes of the session's
platform: publish, matches with reasons, the representative's inbox and one answer, take-up, the
community scope, bad rules; and the curl walk of docs/policies.md, run verbatim."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_readme_tour import readme_block, run_script
from tests.registry.factories import uscc
from tests.support.identities import admin, identity, staff

pytestmark = pytest.mark.e2e


async def _made(client: httpx.AsyncClient, platform: RunningPlatform, who: Any, path: str, body: Any) -> Any:
    answer = await client.post(path, json=body, headers=platform.auth(who))
    assert answer.status_code == 201, f"{path}: {answer.text}"
    return answer.json()


async def test_policy_matching_through_the_gateway(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        communities = []
        for side in ("A", "B"):
            code = f"POL-{side}-{uuid.uuid4().hex[:6].upper()}"
            body: dict[str, Any] = {"code": code, "name_zh": code, "name_en": code}
            body |= {"type": "business_building", "street": "长河街道"}
            communities.append((await _made(client, platform, admin(), "/v1/communities", body))["id"])
        towers = []
        for community in communities:
            body = {"name": "政策大厦", "kind": "office_tower", "address": "江南大道", "community_id": community,
                    "valid_from": "2020-01-01"}  # fmt: skip
            towers.append((await _made(client, platform, admin(), "/v1/buildings", body))["id"])
        a_staff, b_staff = staff(uuid.UUID(communities[0])), staff(uuid.UUID(communities[1]))
        enterprises: list[str] = []
        for tower, section in ((towers[0], "M"), (towers[0], "R"), (towers[1], "M")):
            name = f"杭州政策{section}{len(enterprises)}有限公司"
            body = {"uscc": uscc(), "name": name, "legal_representative": "张三",
                    "industry_section": section, "industry_code": "7320",
                    "site": {"building_id": tower, "valid_from": "2021-01-01"}}  # fmt: skip
            enterprises.append((await _made(client, platform, admin(), "/v1/enterprises", body))["id"])

        policy_body = {"title": "研发机构认定奖励", "issuer": "滨江区科技局", "summary": "研发服务业企业奖励。",
                       "valid_from": "2026-01-01",
                       "rules": [{"field": "industry_section", "any_of": ["M"]}]}  # fmt: skip
        bad = await client.post(
            "/v1/policies",
            json=policy_body | {"rules": [{"field": "revenue", "min": 1}]},
            headers=platform.auth(a_staff),
        )
        assert bad.status_code == 422, bad.text
        assert [(e["code"], e["pointer"]) for e in bad.json()["errors"]] == [("ENUM", "/rules/0/field")]
        district = await client.post("/v1/policies", json=policy_body, headers=platform.auth(a_staff))
        assert district.status_code == 403 and district.json()["code"] == "FORBIDDEN"

        policy = await _made(client, platform, a_staff, "/v1/policies", policy_body | {"community_id": communities[0]})
        assert policy["matched"] == 1  # the M firm in A; the R firm fails the rule, B's M firm is out of scope
        matches = await client.get(f"/v1/policies/{policy['id']}/matches", headers=platform.auth(a_staff))
        assert matches.status_code == 200, matches.text
        [match] = matches.json()["items"]
        assert match["enterprise_id"] == enterprises[0]
        assert match["reasons"] == [{"rule": 0, "field": "industry_section", "value": "M"}]
        outsider = await client.get(f"/v1/policies/{policy['id']}/matches", headers=platform.auth(b_staff))
        assert outsider.status_code == 403

        rep = identity(Role.enterprise_rep, enterprise_id=uuid.UUID(enterprises[0]))
        inbox = await client.get(f"/v1/enterprises/{enterprises[0]}/policies", headers=platform.auth(rep))
        assert inbox.status_code == 200, inbox.text
        assert [item["policy"]["id"] for item in inbox.json()["items"]] == [policy["id"]]
        other_rep = identity(Role.enterprise_rep, enterprise_id=uuid.UUID(enterprises[1]))
        peeking = await client.get(f"/v1/enterprises/{enterprises[0]}/policies", headers=platform.auth(other_rep))
        assert peeking.status_code == 403

        path = f"/v1/enterprises/{enterprises[0]}/policies/{policy['id']}/answer"
        answers = await asyncio.gather(
            *(
                client.post(path, json={"answer": answer}, headers=platform.auth(rep))
                for answer in ("applied", "not_relevant", "applied", "not_relevant")
            )
        )
        assert [answer.status_code for answer in answers].count(201) == 1, [a.text for a in answers]
        winner = next(answer for answer in answers if answer.status_code == 201).json()["answer"]
        for sent, answer in zip(("applied", "not_relevant", "applied", "not_relevant"), answers, strict=True):
            assert answer.status_code in ((200, 201) if sent == winner else (409,)), answer.text
        take_up = await client.get(f"/v1/policies/{policy['id']}/take-up", headers=platform.auth(a_staff))
        assert take_up.json() == {
            "policy_id": policy["id"], "matched": 1, "applied": int(winner == "applied"),
            "not_relevant": int(winner == "not_relevant"), "unanswered": 0,
            "take_up_rate": 1.0 if winner == "applied" else 0.0,
        }  # fmt: skip


async def test_the_policy_walk_in_the_docs_runs_verbatim(platform: RunningPlatform) -> None:
    walk = readme_block("# Policy walk", "docs/policies.md").replace("http://127.0.0.1:8000", platform.gateway_url)
    # the session platform signs with its own key pair; the walk's interpreter is this one
    walk = walk.replace(
        'TOKEN=".venv/bin/python -m gateway.cli token"',
        f'TOKEN=".venv/bin/python -m gateway.cli token --key-dir {platform.private_key.parent}"',
    ).replace(".venv/bin/python", sys.executable)
    returncode, output = await run_script(walk)
    assert returncode == 0, output
    lines = output.splitlines()
    assert lines[:3] == ["RANGE_IMPOSSIBLE", "/rules/0", "1"], output
    assert '"field": "industry_section"' in output and '"value": 25' in output
    assert lines[-7:] == ["软件初创企业房租补贴", "applied", "POLICY_ALREADY_ANSWERED", "1", "1", "1.0", "403"], output
