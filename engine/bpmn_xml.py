"""Returns lxml trees from untrusted BPMN bytes, refusing anything that could expand or fetch.

Designers upload diagrams, so the parser must never expand entities (billion laughs), read
external entities or DTDs (file disclosure, SSRF), or accept unbounded input. BPMN has no
use for a DOCTYPE at all, so a document that declares one is refused outright, before lxml
sees it, rather than parsed "safely".
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import DiagramRejected, Finding

MAX_BPMN_BYTES = 2 * 1024 * 1024

# A DOCTYPE or ENTITY declaration anywhere (they may hide behind comments or a PI).
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# The encoding an XML declaration names: anything but UTF-8 could spell "<!DOCTYPE" in bytes
# the check above does not see (UTF-7 writes "<!" as "+ADw-+ACE-").
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([^\"']+)[\"']")

_PARSER = etree.XMLParser(
    encoding="utf-8",  # decode as UTF-8 whatever the document declares
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


def parse_bpmn_bytes(source: bytes | str, *, max_bytes: int = MAX_BPMN_BYTES) -> etree._Element:
    """Returns the root element of a BPMN document, or raises DiagramRejected saying why."""
    if isinstance(source, str):
        source = source.encode("utf-8")
    if len(source) > max_bytes:
        raise DiagramRejected([Finding("document", f"larger than {max_bytes} bytes")])
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Other encodings (UTF-16, say) would let a DOCTYPE slip past the byte check.
        raise DiagramRejected([Finding("document", f"not UTF-8: {exc.reason}")]) from None
    declared = _DECLARED_ENCODING.match(source)
    if declared and declared.group(1).decode("ascii", "replace").lower().replace("_", "-") not in {
        "utf-8",
        "utf8",
    }:
        raise DiagramRejected(
            [
                Finding(
                    "document",
                    f"declares encoding {declared.group(1).decode('ascii', 'replace')!r}: "
                    "only UTF-8",
                )
            ]
        )
    if _DECLARATION.search(source):
        raise DiagramRejected(
            [Finding("document", "DOCTYPE and ENTITY declarations are not allowed in BPMN")]
        )
    try:
        root = etree.fromstring(source, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DiagramRejected([Finding("document", f"not well-formed XML: {exc}")]) from None
    if root.getroottree().docinfo.doctype:
        raise DiagramRejected([Finding("document", "DOCTYPE is not allowed in BPMN")])
    return root
