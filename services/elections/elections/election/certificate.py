"""The election certificate: a PDF announcement of the result (选举结果公告), in Chinese and English.

It is drawn from the public record alone (`service.record`), so anyone holding the record can
check every figure on it. The font is STSong-Light, one of the PDF standard Adobe-GB1 fonts that
reportlab ships: every PDF reader supplies it, and the file stays small (nothing is embedded).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=4 * mm)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=11)
KINDS = {
    "main": ("正式选举", "main round"),
    "tie_revote": ("并列重投", "tie re-vote"),
    "runoff": ("另行选举", "run-off"),
}


def _text(value: object) -> str:
    """Escape for reportlab's paragraph markup."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(zh: str, en: str, value: object) -> Paragraph:
    return Paragraph(f"{_text(zh)} / {_text(en)}：{_text(value)}", BODY)


def _table(rows: Sequence[Sequence[object]]) -> Table:
    table = Table([[Paragraph(_text(cell), BODY) for cell in row] for row in rows], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def observer_keys(record: Mapping[str, Any]) -> dict[str, str]:
    """The observers who approved the final result hash and the Ed25519 key each signed with, in
    the order the log recorded them (an approval from before signatures existed has no key)."""
    approvals = [entry["payload"] for entry in record["log"] if entry["type"] == "observer_approved"]
    keys: dict[str, str] = {}
    for payload in approvals:
        if payload.get("result_hash") == record["result_hash"] and payload["observer"] not in keys:
            keys[payload["observer"]] = payload.get("public_key") or "—"
    return keys


def observers_of(record: Mapping[str, Any]) -> list[str]:
    """The observers who approved the final result hash, in the order the log recorded them."""
    return list(observer_keys(record))


def render_certificate(record: Mapping[str, Any], verify_url: str) -> bytes:
    """The announcement as PDF bytes; the same record always gives the same bytes."""
    election, result = record["election"], record["result"]
    names = {candidate["candidate_id"]: candidate["name"] for candidate in record["candidates"]}
    rounds: list[dict[str, Any]] = result["rounds"]
    roll_size = record["roll"]["size"]
    turnout = result["turnout"]
    share = f"{turnout / roll_size:.1%}" if roll_size else "—"
    elected = {item["candidate_id"]: item["round_no"] for item in result["elected"]}

    story: list[Flowable] = [
        Paragraph(_text(f"{election['title']} 选举结果公告"), TITLE),
        Paragraph("Announcement of the election result", TITLE),
        _line("选举", "Election", election["election_id"]),
        _line("社区", "Community", election["community_id"]),
        _line("名册日期", "Record date", election["record_date"]),
        _line("应选席位", "Seats", election["rules"].get("seats", "—")),
        _line("选民（企业）", "Roll (enterprises)", roll_size),
        _line("投票", "Turnout", f"{turnout} / {roll_size} ({share})"),
        Paragraph("得票 / Votes", HEADING),
    ]
    header: list[object] = [
        "候选人 / Candidate",
        *(f"第 {r['round_no']} 轮 / Round {r['round_no']}" for r in rounds),
        "结果 / Result",
    ]
    rows: list[list[object]] = [header]
    for candidate in record["candidates"]:
        counts = [r["approvals"].get(candidate["candidate_id"], "—") for r in rounds]
        won = elected.get(candidate["candidate_id"])
        outcome = f"当选（第 {won} 轮）/ elected (round {won})" if won else "—"
        rows.append([candidate["name"], *counts, outcome])
    story.append(_table(rows))
    story.append(Paragraph("轮次 / Rounds", HEADING))
    round_rows: list[list[object]] = [["轮次 / Round", "类型 / Kind", "投票 / Ballots", "弃权 / Blank"]]
    for r in rounds:
        zh, en = KINDS.get(r.get("kind", "main"), (r.get("kind", ""), r.get("kind", "")))
        round_rows.append([r["round_no"], f"{zh} / {en}", r["ballots_cast"], r["blanks"]])
    story.append(_table(round_rows))
    for lot in result.get("lots", []):
        story += [
            Paragraph(f"第 {lot['round_no']} 轮抽签（RFC 3797）/ Lot in round {lot['round_no']} (RFC 3797)", HEADING),
            _line("并列候选人", "Tied", "、".join(names.get(c, c) for c in lot["pool"])),
            _line("公开随机数", "Public seed", lot["seed"]),
            _line("抽中", "Selected", "、".join(names.get(c, c) for c in lot["selected"])),
        ]
    story += [
        Paragraph("当选 / Elected", HEADING),
        Paragraph(_text("、".join(names.get(c, c) for c in elected) or "—"), BODY),
        Paragraph("确认 / Certification", HEADING),
        _line("结果哈希", "Result hash", record.get("result_hash") or "—"),
        _line("记录最终哈希", "Final record hash", record["log"][-1]["hash"] if record["log"] else "—"),
        _line("监票人", "Observers", "、".join(observers_of(record)) or "—"),
        *(
            _line("签名公钥", "Signing key (Ed25519)", f"{observer} {key}")
            for observer, key in observer_keys(record).items()
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            _text(
                f"核验 / Verify: {verify_url} — 下载公开记录后运行 / download the public record, then run "
                "`python -m elections.verify record.json`"
            ),
            SMALL,
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{election['title']} 选举结果公告",
        author="Binjiang industrial community platform",
        invariant=True,  # no timestamp or random id: the same record gives the same file
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    )
    document.build(story)
    return buffer.getvalue()
