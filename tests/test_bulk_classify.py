"""`vt_refs.classify`: every kind, the defanged forms analysts paste, and what it refuses."""

from __future__ import annotations

import ipaddress
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vt_refs
from vt_refs import IOC, UsageError, classify, url_id
from vt_refs._bulk import ioc as ioc_module

SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("https://example.com/login?a=1", "urls", "https://example.com/login?a=1"),
        ("HTTP://Example.com/", "urls", "http://Example.com/"),
        ("  http://example.com/x  ", "urls", "http://example.com/x"),
        ("hxxp://evil.example/x", "urls", "http://evil.example/x"),
        ("hXXps://evil[.]example/x", "urls", "https://evil.example/x"),
        ("hxxps[://]evil(.)example/a", "urls", "https://evil.example/a"),
        ("hxxps[:]//evil.example", "urls", "https://evil.example"),
        ("http[://]evil.example/", "urls", "http://evil.example/"),
        ("192.0.2.1", "ip_addresses", "192.0.2.1"),
        ("192[.]0[.]2[.]1", "ip_addresses", "192.0.2.1"),
        ("192(.)0(.)2(.)1", "ip_addresses", "192.0.2.1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "ip_addresses", "2001:db8::1"),
        ("2001[:]db8[:][:]1", "ip_addresses", "2001:db8::1"),
        ("[2001:db8::1]", "ip_addresses", "2001:db8::1"),
        ("d41d8cd98f00b204e9800998ecf8427e", "files", "d41d8cd98f00b204e9800998ecf8427e"),
        (
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
            "files",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (SHA256, "files", SHA256.lower()),
        ("Evil.Example.COM", "domains", "evil.example.com"),
        ("evil[.]example[.]com", "domains", "evil.example.com"),
        ("evil.example.com.", "domains", "evil.example.com"),
        ("bücher.example", "domains", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "domains", "xn--bcher-kva.example"),
        ("url:example.com/path", "urls", "example.com/path"),
        ("URL:hxxp://evil[.]example", "urls", "http://evil.example"),
        ("domain:localhost", "domains", "localhost"),
        ("domain:192.0.2.1.example", "domains", "192.0.2.1.example"),
        ("ip:192.0.2.1", "ip_addresses", "192.0.2.1"),
        ("file:D41D8CD98F00B204E9800998ECF8427E", "files", "d41d8cd98f00b204e9800998ecf8427e"),
        ("threat_actor:threat-actor--5e2f9a1b", "threat_actors", "threat-actor--5e2f9a1b"),
        # What analysts paste (issue 21).
        ("evil[dot]com", "domains", "evil.com"),
        ("evil(DOT)example [dot] com", "domains", "evil.example.com"),
        ("hxxp://evil[dot]com", "urls", "http://evil.com"),
        ("www[.]evil[.]com/path", "urls", "http://www.evil.com/path"),
        ("example.com/login", "urls", "http://example.com/login"),
        ("evil.example?q=1", "urls", "http://evil.example?q=1"),
        ("192.0.2.1/admin", "urls", "http://192.0.2.1/admin"),
        ("evil.com:8080/x", "urls", "http://evil.com:8080/x"),
        ("10.0.0.1:443", "ip_addresses", "10.0.0.1"),
        ("evil.com:8080", "domains", "evil.com"),
        ("[2001:db8::1]:443", "ip_addresses", "2001:db8::1"),
        ("::ffff:192.0.2.1", "ip_addresses", "192.0.2.1"),
        ("::FFFF:C000:0201", "ip_addresses", "192.0.2.1"),
        ("evil_underscore.example", "domains", "evil_underscore.example"),
        ("_dmarc.example.com", "domains", "_dmarc.example.com"),
    ],
)
def test_kinds_and_normal_forms(text: str, kind: str, value: str) -> None:
    ioc = classify(text)
    assert (ioc.kind, ioc.value) == (kind, value)
    assert ioc.id == (url_id(value) if kind == "urls" else value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "not an indicator",
        "localhost",  # a host name without a dot, with no `domain:` prefix
        "1.2.3.999",  # a broken address is no domain either (numeric TLD)
        "d41d8cd98f00b204e9800998ecf8427",  # 31 hex digits
        "g41d8cd98f00b204e9800998ecf8427e",
        "-bad.example",
        "bad-.example",
        "a" * 64 + ".example",  # a label over 63 characters
        "http://",
        "http://exa mple.com/",
        "ftp://example.com/",
        "fe80::1%eth0",
        "ip:example.com",
        "file:xyz",
        "domain:",
        "url:",
        "threat_actor:",
        "threat_actor:has space",
    ],
)
def test_refusals_are_usage_errors_naming_the_text(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        classify(text)
    assert repr(text.strip())[:60] in str(caught.value) or repr(text)[:60] in str(caught.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("evil.com:99999", "port 99999 is out of range"),
        ("10.0.0.1:0", "port 0 is out of range"),
        ("ftp://example.com/", "not an http(s) URL (ftp://)"),
        ("evil . com", "it holds spaces"),
        ("fe80::1%eth0", "a scoped address"),
        ("localhost/path", "not an indicator"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=re.escape(reason)) as caught:
        classify(text)
    assert str(caught.value).count(repr(text)) == 1  # the text, once


def test_a_long_refused_text_is_cut_in_the_message() -> None:
    with pytest.raises(UsageError) as caught:
        classify("x" * 10_000)
    assert len(str(caught.value)) < 200


def test_not_a_string_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        classify(42)  # type: ignore[arg-type]


def test_ioc_is_a_frozen_attrs_class_and_passes_through() -> None:
    ioc = classify("192.0.2.1")
    assert attrs.has(IOC) and isinstance(ioc, vt_refs.IOC)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ioc.value = "x"  # type: ignore[misc]
    assert classify(ioc) is ioc
    assert classify("ip:192.0.2.1") == ioc  # equal by value, usable as a key
    assert len({ioc, classify("192[.]0[.]2[.]1")}) == 1


@given(st.ip_addresses())
def test_every_ip_address_classifies_to_its_compressed_form(address: object) -> None:
    assert isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address)
    ioc = classify(str(address.exploded))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # an IPv4-mapped address is its IPv4 host
    assert ioc == IOC("ip_addresses", address.compressed, address.compressed)


@given(st.binary(min_size=16, max_size=32).filter(lambda b: len(b) in (16, 20, 32)))
def test_every_hash_classifies_as_a_file(digest: bytes) -> None:
    text = digest.hex().upper()
    assert classify(text) == IOC("files", text.lower(), text.lower())


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9](\.[a-z][a-z0-9]{1,10}){1,3}", fullmatch=True))
def test_host_names_classify_as_domains_defanged_or_not(name: str) -> None:
    expected = IOC("domains", name, name)
    assert classify(name) == expected
    assert classify(name.replace(".", "[.]")) == expected
    assert classify(name.upper()) == expected


@given(st.text(max_size=40))
def test_classify_returns_an_ioc_or_raises_usage_error(text: str) -> None:
    try:
        ioc = classify(text)
    except UsageError:
        return
    assert ioc.kind in ("urls", "domains", "ip_addresses", "files", "threat_actors")
    assert ioc.value and ioc.id


_DEFANG_PIECES = ["[.]", "(.)", "{.}", "[dot]", " (DOT) ", "{dot}", "[:]", "[://]", "hxxp", "hXXps",
                  "://", ".", ":", "a", "0", "[", "(", "{", "x", " "]  # fmt: skip


@given(st.lists(st.sampled_from(_DEFANG_PIECES), max_size=8).map("".join) | st.text(max_size=30))
def test_refang_skips_no_defanging(text: str) -> None:
    """`refang` returns text with nothing to undo at once: that shortcut must never skip
    a defanging the patterns would undo."""
    slow = text
    for pattern, replacement in ioc_module._DEFANGS:
        slow = pattern.sub(replacement, slow)
    assert ioc_module.refang(text) == slow
