"""What the gateway reads from a request's headers and what it passes on, in one pass."""

from __future__ import annotations

from gateway.proxy import RequestHead

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {"headers": headers, "scheme": "https", "client": ("203.0.113.7", 50123)}


def test_it_reads_what_the_gateway_needs_and_forwards_the_rest() -> None:
    raw = [
        (b"host", b"gateway.binjiang.example"),
        (b"authorization", b"Bearer first"),
        (b"authorization", b"Bearer second"),
        (b"accept-language", b"en"),
        (b"x-request-id", b"tour-42"),
        (b"traceparent", f"00-{TRACE}-00f067aa0ba902b7-00".encode()),
        (b"content-length", b"12"),
        (b"content-type", b"application/json"),
        (b"if-match", b'"v3"'),
    ]
    head = RequestHead(raw)
    assert (head.authorization, head.language, head.host) == ("Bearer first", "en", "gateway.binjiang.example")
    assert (head.request_id, head.content_length, head.has_body) == (b"tour-42", 12, True)
    forwarded = head.forwarded(_scope(raw), "internal", "tour-42", TRACE)
    assert len(forwarded) == 10  # one Authorization, none passed on
    headers = dict(forwarded)
    traceparent = headers.pop("traceparent")
    assert headers == {
        "accept-language": "en",
        "content-length": "12",
        "content-type": "application/json",
        "if-match": '"v3"',
        "X-Platform-Identity": "internal",
        "X-Request-ID": "tour-42",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Host": "gateway.binjiang.example",
    }
    # A child span of the caller's trace, keeping the caller's sampling flag.
    version, trace, span, flags = traceparent.split("-")
    assert (version, trace, flags) == ("00", TRACE, "00") and len(span) == 16 and span != "00f067aa0ba902b7"


def test_identity_hop_by_hop_and_client_forwarding_headers_never_pass() -> None:
    raw = [
        (b"x-platform-identity", b"forged"),
        (b"x-user-id", b"admin"),
        (b"x-forwarded-for", b"10.0.0.1"),
        (b"x-forwarded-host", b"evil.example"),
        (b"connection", b"keep-alive, x-secret-hop"),
        (b"x-secret-hop", b"dropped because Connection names it"),
        (b"keep-alive", b"timeout=5"),
        (b"transfer-encoding", b"chunked"),
        (b"te", b"trailers"),
        (b"accept", b"application/json"),
    ]
    head = RequestHead(raw)
    assert head.has_body and head.content_length is None  # chunked
    forwarded = head.forwarded(_scope(raw), "internal", "rid", TRACE)
    assert [(name, value) for name, value in forwarded if not name[0].isupper() and name != "traceparent"] == [
        ("accept", "application/json")
    ]
    assert dict(forwarded)["X-Platform-Identity"] == "internal"
    assert dict(forwarded)["X-Forwarded-For"] == "203.0.113.7"
    assert "X-Forwarded-Host" not in dict(forwarded)  # the client sent none; its invented one is dropped


def test_a_request_without_a_body_or_a_valid_traceparent() -> None:
    head = RequestHead([(b"content-length", b"0"), (b"traceparent", b"not-a-traceparent")])
    assert not head.has_body
    assert not RequestHead([]).has_body
    assert head.traceparent_for(TRACE).endswith("-01")  # sampled unless the caller said otherwise
