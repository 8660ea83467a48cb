"""Allow-list and identity-keyed workspaces of a signed-in deployment (ml.access)."""

from __future__ import annotations

import re

import pytest

from ml.access import AllowList, owner_for_identity

LIST = AllowList.from_config({"allowed_emails": ["Boss@Partner.example", " "], "allowed_domains": ["@shop.example"]})


@pytest.mark.parametrize(("email", "allowed"), [
    ("boss@partner.example", True),  # listed address, any case
    ("BOSS@PARTNER.EXAMPLE", True),
    ("ana@shop.example", True),  # listed domain
    ("Ana@Shop.Example", True),
    ("other@partner.example", False),  # the address's domain is not listed
    ("ana@eu.shop.example", False),  # subdomains are not the domain
    ("ana@shop.example.evil.test", False),
    ("ana@evilshop.example", False),
    ("shop.example", False),
    ("@shop.example", False),
    ("ana@shop.example@evil.test", False),
    ("", False),
    (None, False),
])
def test_addresses_and_domains_on_the_list_get_in_and_no_one_else(email, allowed):
    assert LIST.allows(email) is allowed


def test_an_unverified_address_is_refused_and_an_empty_list_lets_nobody_in():
    assert not LIST.allows("ana@shop.example", email_verified=False)
    assert not LIST.allows("ana@shop.example", email_verified="false")
    assert LIST.allows("ana@shop.example", email_verified=True)
    nobody = AllowList.from_config(None)
    assert nobody.empty and not nobody.allows("ana@shop.example")
    assert AllowList.from_config({"allowed_domains": "shop.example"}).allows("x@shop.example")  # one string


def test_the_workspace_of_a_person_is_stable_per_identity_and_never_looks_like_a_browser_id():
    a = owner_for_identity("https://idp.example", "sub-1")
    assert a == owner_for_identity("https://idp.example", "sub-1")
    assert a != owner_for_identity("https://idp.example", "sub-2")
    assert a != owner_for_identity("https://other-idp.example", "sub-1")  # same subject at another provider
    assert re.fullmatch(r"user-[0-9a-f]{32}", a) and not re.fullmatch(r"[0-9a-f]{32}", a)
    from ml.workspace.formats import valid_owner

    assert valid_owner(a) == a  # the workspace accepts it as an owner
