"""Open311 GeoReport v2 documents, rendered as JSON or XML by the same data."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ElementTree
from typing import Any

from fastapi import Response

from service_requests.working_calendar import SHANGHAI
from shared.jsonutil import dumps

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
DATATYPES = {
    "string": "string",
    "number": "number",
    "date": "datetime",
    "text": "text",
    "single_choice": "singlevaluelist",
    "multi_choice": "multivaluelist",
}
CLOSED_STATUSES = frozenset({"resolved", "closed", "rejected", "cancelled"})


def w3c(moment: dt.datetime | None) -> str | None:
    """W3C datetime with the Shanghai offset, as Open311 clients expect."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _append(parent: ElementTree.Element, tag: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(child, key, item)
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
        for item in value:
            _append(child, singular.get(tag, "item"), item)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def to_xml(root: str, item_tag: str | None, content: Any) -> bytes:
    """A list as `<root><item_tag>..</item_tag></root>`, a dict as `<root>..</root>`."""
    element = ElementTree.Element(root)
    if item_tag is not None:
        for item in content:
            _append(element, item_tag, item)
    else:
        for key, value in content.items():
            _append(element, key, value)
    body: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>' + body


def render(format_: str, content: Any, *, root: str, item_tag: str | None, status_code: int = 200) -> Response:
    """The same document as JSON or XML."""
    if format_ == "xml":
        return Response(to_xml(root, item_tag, content), status_code, media_type="text/xml; charset=utf-8")
    return Response(dumps(content), status_code, media_type="application/json")


def render_errors(format_: str, status_code: int, *descriptions: str) -> Response:
    """The specification's error array, one entry per problem: `[{code, description}]` or `<errors><error>..`."""
    return render(
        format_,
        [{"code": status_code, "description": description} for description in descriptions],
        root="errors",
        item_tag="error",
        status_code=status_code,
    )
