"""Where a webhook may go: https to a public address, checked at registration and again at each delivery."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from shared.errors import ValidationFailed
from shared.i18n import Text as I18nText


class UnsafeWebhookUrl(ValidationFailed):
    code = "WEBHOOK_URL_NOT_ALLOWED"
    title = I18nText("回调地址不被允许", "Webhook URL not allowed")


Resolve = Callable[[str, int], Awaitable[list[str]]]
"""Host and port to the addresses to connect to; injectable so tests need no DNS."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


async def system_resolve(host: str, port: int) -> list[str]:
    """The operating system's answer (getaddrinfo, which also reads `2130706433` or `0177.1` as 127.0.0.1)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_address(address: str) -> bool:
    """Not globally routable (loopback, private, link-local, unique-local, unspecified, reserved),
    multicast, or an IPv6 address that carries such an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a link-local scope id is not part of the address
    if not ip.is_global or ip.is_multicast:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in _NAT64 or int(ip) >> 32 == 0:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return any(inner is not None and (not inner.is_global or inner.is_multicast) for inner in embedded)
    return False


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery connects: `url` names the checked address itself, `host` the partner's name."""

    url: str
    host: str
    server_hostname: str | None


_POINTER = {"detail": "webhook URL refused", "pointer": "/url"}


def _checked_form(url: str, *, allow_private: bool) -> tuple[SplitResult, str, int | None]:
    """The URL's parts, host and port, if its form is acceptable (https, or http when allowed)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrl(I18nText("端口无效", "The port is not valid"), errors=[_POINTER]) from exc
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeWebhookUrl(I18nText("地址须为 https URL", "The URL must be an https URL"), errors=[_POINTER])
    if not allow_private and parts.scheme != "https":
        raise UnsafeWebhookUrl(I18nText("地址须使用 https", "The URL must use https"), errors=[_POINTER])
    if not host.isascii() and not _literal(host):  # an internationalised name travels as punycode
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise UnsafeWebhookUrl(I18nText("主机名无效", "The host name is not valid"), errors=[_POINTER]) from exc
    return parts, host, port


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve_endpoint_url(url: str, *, allow_private: bool, resolve: Resolve = system_resolve) -> Target:
    """Check a webhook URL and pin the address to connect to: https to a public address; `http`,
    loopback and private ranges only when explicitly allowed. Every resolved address must be public."""
    parts, host, port = _checked_form(url, allow_private=allow_private)
    pointer = [_POINTER]
    try:
        addresses = [host] if _literal(host) else await resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        raise UnsafeWebhookUrl(I18nText("无法解析该主机名", "The host name does not resolve"), errors=pointer) from exc
    if not addresses:
        raise UnsafeWebhookUrl(I18nText("无法解析该主机名", "The host name does not resolve"), errors=pointer)
    if not allow_private and any(refused_address(address) for address in addresses):
        raise UnsafeWebhookUrl(
            I18nText("地址解析到内网或本机", "The host resolves to a loopback or private address"), errors=pointer
        )
    pinned = addresses[0]
    netloc = f"[{pinned}]" if ":" in pinned else pinned
    if port is not None:
        netloc += f":{port}"
    authority = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    return Target(parts._replace(netloc=netloc).geturl(), authority, host if parts.scheme == "https" else None)


async def check_endpoint_url(url: str, *, allow_private: bool, resolve: Resolve = system_resolve) -> None:
    """HTTPS to a public address; loopback and private ranges only when explicitly allowed (then the
    name is not looked up: a test's or demo's name may resolve only where deliveries run)."""
    if allow_private:
        _checked_form(url, allow_private=True)
    else:
        await resolve_endpoint_url(url, allow_private=False, resolve=resolve)
