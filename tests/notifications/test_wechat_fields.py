"""WeChat's subscribe-message field rules, and that every rule's template keeps them."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications import rules
from notifications.wechat_fields import WeChatFieldError, check, fit, render


def test_a_long_thing_is_shortened_to_twenty_characters() -> None:
    value = fit("thing1", "滨江区星光大道1号楼空调系统故障需要维修更换压缩机")
    assert len(value) == 20 and value.endswith("…")
    check({"thing1": value})


def test_times_are_written_the_way_wechat_reads_them_in_shanghai() -> None:
    moment = dt.datetime(2026, 12, 1, 7, 1, tzinfo=dt.UTC)
    assert fit("time3", moment) == "2026年12月1日 15:01"
    assert fit("time3", moment.isoformat()) == "2026年12月1日 15:01"
    check({"time3": "15:01", "date2": "2026年12月1日"})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"thing1": "x" * 21}, "thing1"),
        ({"phrase2": "已受理了吗啊"}, "phrase2"),  # six characters
        ({"phrase2": "OK"}, "phrase2"),  # not Chinese
        ({"time3": "2026-12-01T15:01:00"}, "time3"),
        ({"number4": "12a"}, "number4"),
        ({"character_string5": "x" * 33}, "character_string5"),
        ({"thing1": ""}, "thing1"),
        ({"Thing1": "ok"}, "Thing1"),
    ],
)
def test_values_wechat_would_refuse_are_refused(data: dict[str, str], key: str) -> None:
    with pytest.raises(WeChatFieldError) as refused:
        check(data)
    assert refused.value.key == key


SAMPLE = {
    "title": "滨江区星光大道1号楼空调系统故障需要维修更换压缩机",
    "request_id": "6f1c2b9e-2c1a-4e6b-8f3a-1c2d3e4f5a6b",
    "activity_id": "6f1c2b9e-2c1a-4e6b-8f3a-1c2d3e4f5a6b",
    "election_id": "6f1c2b9e-2c1a-4e6b-8f3a-1c2d3e4f5a6b",
    "starts_at": "2026-12-05T14:00:00+08:00",
    "reason": "已更换压缩机,请确认",
}


@pytest.mark.parametrize("rule", [rule for rule in rules.RULES if rule.wechat], ids=lambda rule: rule.kind)
def test_every_rule_renders_a_message_wechat_accepts(rule: rules.Rule) -> None:
    assert rule.wechat is not None
    context = rules.context_of(rule, SAMPLE, dt.datetime.now(dt.UTC), __import__("uuid").uuid4())
    data = render(rule.wechat.fields, context)  # raises on a broken rule
    assert set(data) == set(rule.wechat.fields)


def test_every_rule_has_words_in_both_languages_and_urgent_ones_have_sms() -> None:
    for rule in rules.RULES:
        assert rule.title.zh and rule.title.en and rule.body.zh and rule.body.en, rule.kind
        assert rule.kind in rules.STATUS_PHRASES, rule.kind
        check({"phrase1": rules.STATUS_PHRASES[rule.kind]})
        assert (rule.sms is not None) == rule.urgent, rule.kind
        assert rule.summary, rule.kind
