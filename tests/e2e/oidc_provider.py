"""A small OpenID Connect provider for the sign-in tests, on a loopback port of its own (standard library HTTP server,
``cryptography`` for the RS256 signature): discovery, an authorize page where the browser types who it is, the
token endpoint (client secret, PKCE S256, one-use codes) with a signed id_token, and the JWKS.

It checks what a real provider checks, so Streamlit's ``st.login`` (Authlib) is exercised end to end: a wrong client
secret, redirect URI or PKCE verifier gets ``invalid_grant``/``invalid_client``, and the id_token carries the nonce
from the authorize request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def subject_for(email: str) -> str:
    """The provider's stable subject id of an account (here: derived from its e-mail address)."""
    return "sub-" + hashlib.sha256(email.lower().encode()).hexdigest()[:20]


class OIDCProvider:
    def __init__(self, client_id: str = "saleslens-test", client_secret: str | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.codes: dict[str, dict] = {}
        self.issued: list[str] = []  # e-mail addresses id_tokens were issued for
        self.unverified: set[str] = set()  # addresses whose id_token says email_verified: false
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def __enter__(self) -> OIDCProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------------------------------------ protocol
    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict:
        public = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "n": _int_b64(public.n), "e": _int_b64(public.e)}]}

    def id_token(self, claims: dict) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def _authorize_page(self, query: dict[str, str]) -> str:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        return ("<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>"
                f'<form method="post" action="/authorize">{hidden}'
                '<label>E-mail <input id="email" name="email" type="email" autofocus></label>'
                '<button id="continue" type="submit">Continue</button></form>')

    def _issue_code(self, form: dict[str, str]) -> str:
        if form.get("client_id") != self.client_id or form.get("response_type") != "code":
            raise ValueError("unauthorized_client")
        code = secrets.token_urlsafe(24)
        self.codes[code] = {**form, "issued_at": time.time()}
        query = {"code": code, "state": form.get("state", "")}
        return f"{form['redirect_uri']}?{urlencode(query)}"

    def _token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id or not secrets.compare_digest(client_secret or "", self.client_secret):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # one use only
        if grant is None or time.time() - grant["issued_at"] > 120 or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        if grant.get("code_challenge"):
            verifier = form.get("code_verifier", "")
            if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["code_challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "pkce"}
        email = grant["email"].strip()
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": subject_for(email), "aud": self.client_id, "iat": now, "exp": now + 600,
                  "email": email, "email_verified": email not in self.unverified, "name": email.split("@")[0]}
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        self.issued.append(email)
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 600,
                     "scope": grant.get("scope", "openid"), "id_token": self.id_token(claims)}

    # ------------------------------------------------------------------------------------------------ HTTP
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, body: str | dict, content_type: str = "application/json",
                      location: str | None = None) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, provider.metadata())
                elif url.path == "/jwks":
                    self._send(200, provider.jwks())
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    self._send(200, provider._authorize_page(query), "text/html; charset=utf-8")
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                form = self._form()
                if url.path == "/authorize":
                    try:
                        self._send(302, "", "text/plain", location=provider._issue_code(form))
                    except (KeyError, ValueError) as err:
                        self._send(400, {"error": str(err)})
                elif url.path == "/token":
                    status, body = provider._token(form, self.headers.get("Authorization"))
                    self._send(status, body)
                else:
                    self._send(404, {"error": "not_found"})

        return Handler
