"""Who may enter a signed-in SalesLens, and which workspace is theirs (pure functions; the UI side is
``components/common/access.py``).

The allow-list lives beside Streamlit's ``[auth]`` section in ``.streamlit/secrets.toml``::

    [saleslens]
    allowed_emails = ["ana@partner.example"]     # these addresses
    allowed_domains = ["shop.example"]           # and every address @shop.example (not its subdomains)

An empty list lets nobody in: an identity provider such as Google signs in any of its accounts, so "everyone the
provider knows" is never a safe default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OWNER_PREFIX = "user-"  # never a browser id (32 hex digits), so no cookie or link can name a signed-in workspace


def _clean(values: Any) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        return frozenset()
    return frozenset(v.strip().lower().lstrip("@") for v in values if isinstance(v, str) and v.strip())


@dataclass(frozen=True)
class AllowList:
    """E-mail addresses and domains allowed in (compared case-insensitively)."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> AllowList:
        section = section or {}
        return cls(emails=_clean(section.get("allowed_emails", ())), domains=_clean(section.get("allowed_domains", ())))

    @property
    def empty(self) -> bool:
        return not self.emails and not self.domains

    def allows(self, email: Any, email_verified: Any = None) -> bool:
        """True for an address on the list or in a listed domain. An address the provider says it has not
        verified (``email_verified: false``) is refused: anyone can type someone else's address into an account."""
        if not isinstance(email, str) or email_verified is False or str(email_verified).lower() == "false":
            return False
        address = email.strip().lower()
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain or "@" in local:
            return False
        return address in self.emails or domain in self.domains


def owner_for_identity(issuer: Any, subject: Any) -> str:
    """The workspace owner of a signed-in person: stable for the provider's (issuer, subject) pair, which OIDC
    guarantees never to reassign (an e-mail address can change hands), and shaped like no browser id."""
    digest = hashlib.sha256(f"{issuer or ''}\n{subject or ''}".encode()).hexdigest()
    return f"{OWNER_PREFIX}{digest[:32]}"


__all__ = ["OWNER_PREFIX", "AllowList", "owner_for_identity"]
