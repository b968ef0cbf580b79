#!/usr/bin/python3
"""A small, strict ACME (RFC 8555) client for black-box tests of upki-acme.

Only the Python standard library and the `cryptography` module. JWS (RFC 7515
flattened JSON), JWK thumbprints (RFC 7638) and External Account Binding
(RFC 8555 §7.3.4) are written here, so a test can break any part of a request
on purpose: every JWS is built by ACME.jws(), which takes overrides for the
protected header, the signing key, the signature and the body.

The client never retries and never repairs anything: what the server answers
is what the test sees (Response). Positive flows use Response.expect(), which
raises ProtocolError naming what differed.

Tests drive it from shell scripts through small inline snippets:

    from acme_client import *
    s = Session.from_env()          # ACME_DIR, ACME_CA, ACME_STATE, ACME_DB
    key, kid = s.account("a")
    r = s.acme.post(s.acme.url("newOrder"), {...}, key, kid=kid)
    report(r, before)               # status=, type=, ct=, nonce=, stored=

Environment for Session.from_env():
    ACME_DIR    directory URL (https://127.0.0.1:PORT/directory)
    ACME_CA     PEM file with the server's TLS root
    ACME_STATE  JSON file where accounts and orders persist between snippets
    ACME_DB     the server's LMDB directory ($data_dir/db), for record counts
    ACME_HTTP01 port on 127.0.0.1 where http-01 answers are served
"""
import base64
import hashlib
import hmac
import ipaddress
import http.client
import http.server
import json
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

ERR = "urn:ietf:params:acme:error:"
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,}$")


class ProtocolError(Exception):
    """The server answered something a conforming ACME server must not."""


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_dec(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url: %r" % s[:40])
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _int_bytes(v, n=None):
    n = n or max(1, (v.bit_length() + 7) // 8)
    return v.to_bytes(n, "big")


def compact_json(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# --------------------------------------------------------------------------- keys

_CURVES = {"P-256": (ec.SECP256R1, "ES256", hashes.SHA256, 32),
           "P-384": (ec.SECP384R1, "ES384", hashes.SHA384, 48),
           "P-521": (ec.SECP521R1, "ES512", hashes.SHA512, 66)}
_CURVE_BY_NAME = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


class Key:
    """An account (or CSR) key pair: RSA or EC P-256/384/521."""

    def __init__(self, priv):
        self.priv = priv
        if isinstance(priv, rsa.RSAPrivateKey):
            self.kty, self.alg, self.crv = "RSA", "RS256", None
        elif isinstance(priv, ec.EllipticCurvePrivateKey):
            self.kty = "EC"
            self.crv = _CURVE_BY_NAME[priv.curve.name]
            self.alg = _CURVES[self.crv][1]
        else:
            raise TypeError("unsupported key")

    @classmethod
    def rsa(cls, bits=2048):
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def ec(cls, crv="P-256"):
        return cls(ec.generate_private_key(_CURVES[crv][0]()))

    @classmethod
    def generate(cls, alg):
        """alg: RS256 (RSA-2048), RS4096, ES256, ES384, ES512."""
        if alg == "RS256":
            return cls.rsa(2048)
        if alg.startswith("RS"):
            return cls.rsa(int(alg[2:]))
        return cls.ec({"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg])

    @classmethod
    def from_pem(cls, pem):
        return cls(serialization.load_pem_private_key(pem.encode(), password=None))

    def pem(self):
        return self.priv.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()

    def jwk(self):
        pub = self.priv.public_key().public_numbers()
        if self.kty == "RSA":
            return {"e": b64u(_int_bytes(pub.e)), "kty": "RSA", "n": b64u(_int_bytes(pub.n))}
        size = _CURVES[self.crv][3]
        return {"crv": self.crv, "kty": "EC", "x": b64u(_int_bytes(pub.x, size)),
                "y": b64u(_int_bytes(pub.y, size))}

    def thumbprint(self):
        """RFC 7638: SHA-256 over the required members in lexical order, no spaces."""
        j = self.jwk()
        req = ("e", "kty", "n") if self.kty == "RSA" else ("crv", "kty", "x", "y")
        return b64u(hashlib.sha256(compact_json({k: j[k] for k in req})).digest())

    def sign(self, alg, data):
        """Sign with alg; RSA keys only RS256, EC keys only their curve's ES alg."""
        if alg == "RS256" and self.kty == "RSA":
            return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.kty == "EC" and alg == self.alg:
            _, _, h, size = _CURVES[self.crv]
            r, s = decode_dss_signature(self.priv.sign(data, ec.ECDSA(h())))
            return _int_bytes(r, size) + _int_bytes(s, size)
        raise ValueError("key %s/%s cannot sign %s" % (self.kty, self.crv, alg))


# ---------------------------------------------------------------------- responses

class Response:
    def __init__(self, method, url, status, headers, body):
        self.method, self.url, self.status, self.body = method, url, status, body
        self.headers = headers          # list of (name, value)
        self._json = None

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def ct(self):
        v = self.header("content-type") or ""
        return v.split(";")[0].strip()

    @property
    def nonce(self):
        return self.header("replay-nonce")

    @property
    def location(self):
        return self.header("location")

    def json(self):
        if self._json is None:
            self._json = json.loads(self.body.decode())
        return self._json

    @property
    def problem(self):
        """The problem document, or None if the body is not one."""
        if self.ct != "application/problem+json":
            return None
        try:
            p = self.json()
        except ValueError:
            return None
        return p if isinstance(p, dict) else None

    @property
    def problem_type(self):
        p = self.problem
        return p.get("type") if p else None

    def describe(self):
        b = self.body[:400].decode("utf-8", "replace")
        return "%s %s -> %d %s %s" % (self.method, self.url, self.status, self.ct, b)

    def expect(self, status, ct="application/json", nonce=True, location=False):
        """Raise ProtocolError unless the answer has this status and shape."""
        if self.status != status:
            raise ProtocolError("expected %d: %s" % (status, self.describe()))
        if ct is not None and self.ct != ct:
            raise ProtocolError("expected Content-Type %s: %s" % (ct, self.describe()))
        if nonce and not (self.nonce and NONCE_RE.match(self.nonce)):
            raise ProtocolError("no valid Replay-Nonce: %s" % self.describe())
        if location and not (self.location or "").startswith("https://"):
            raise ProtocolError("no https Location: %s" % self.describe())
        if ct == "application/json":
            self.json()
        return self


# -------------------------------------------------------------------------- client

class ACME:
    """One ACME server over HTTPS (TLS 1.2, verified against cafile)."""

    def __init__(self, directory_url, cafile, timeout=20, keepalive=False):
        self.directory_url = directory_url
        self.keepalive = keepalive      # reuse one connection per thread (as real clients do)
        self._local = threading.local()
        u = urllib.parse.urlsplit(directory_url)
        if u.scheme != "https":
            raise ValueError("directory must be https")
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.timeout = timeout
        self._dir = None
        self.nonce = None               # last Replay-Nonce seen
        self.log = []                   # every Response, in order

    # raw HTTP ------------------------------------------------------------------
    def request(self, method, url, body=None, headers=None):
        """One request on a fresh connection; returns Response. Never raises for HTTP errors."""
        u = urllib.parse.urlsplit(url)
        if (u.hostname, u.port or 443) != (self.host, self.port):
            raise ProtocolError("refusing to leave the server: %s" % url)
        path = u.path + ("?" + u.query if u.query else "")
        if self.keepalive:
            return self._request_keepalive(method, url, path, body, headers)
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                           timeout=self.timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            hdrs = dict(headers or {})
            if body is not None:
                hdrs.setdefault("Content-Length", str(len(body)))
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            send_err = None
            try:
                # The server may answer (413) and close before reading it all:
                # stop sending and read what it said.
                for i in range(0, len(body or b""), 16384):
                    conn.send(body[i:i + 16384])
            except OSError as e:
                send_err = e
            try:
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                raise ProtocolError("%s %s: no answer (%s) after a send error (%s)"
                                    % (method, url, e, send_err)) from e
            data = resp.read() if method != "HEAD" else b""
            r = Response(method, url, resp.status, resp.getheaders(), data)
        finally:
            conn.close()
        if r.nonce:
            self.nonce = r.nonce
        self.log.append(r)
        return r

    def _request_keepalive(self, method, url, path, body, headers):
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                   timeout=self.timeout)
                self._local.conn = conn
            try:
                conn.request(method, path, body=body, headers=dict(headers or {}))
                resp = conn.getresponse()
                data = resp.read() if method != "HEAD" else b""
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        r = Response(method, url, resp.status, resp.getheaders(), data)
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            self._local.conn = None
        if r.nonce:
            self._local.nonce = r.nonce
        return r

    def directory(self):
        if self._dir is None:
            r = self.request("GET", self.directory_url).expect(200, nonce=False)
            self._dir = r.json()
        return self._dir

    def url(self, name):
        return self.directory()[name]

    def base(self):
        return self.directory_url.rsplit("/directory", 1)[0]

    def new_nonce(self, method="HEAD"):
        r = self.request(method, self.url("newNonce"))
        r.expect(200 if method == "HEAD" else 204, ct=None)
        return r.nonce

    def burn_nonces(self, n):
        """Have n nonces issued (HEAD newNonce on one keep-alive connection); the last one."""
        path = urllib.parse.urlsplit(self.url("newNonce")).path
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                           timeout=self.timeout)
        last = None
        try:
            for _ in range(n):
                conn.request("HEAD", path)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    raise ProtocolError("HEAD newNonce answered %d" % r.status)
                last = r.getheader("Replay-Nonce")
        finally:
            conn.close()
        return last

    def take_nonce(self):
        if self.keepalive:     # one nonce chain per thread
            n = getattr(self._local, "nonce", None) or self.new_nonce()
            self._local.nonce = None
            return n
        n, self.nonce = self.nonce, None
        return n or self.new_nonce()

    # JWS -----------------------------------------------------------------------
    def jws(self, url, payload, key, kid=None, nonce=None, alg=None, header=None,
            sign_key=None, signature=None, mutate_sig=None, raw_protected=None):
        """A flattened JWS as a dict.

        payload: dict/list (JSON), None (POST-as-GET: ""), or str/bytes (sent as is).
        kid: account URL (else the jwk of key is used). nonce: default a fresh one;
        False leaves it out. header: members to add/replace; a value of None removes
        the member. sign_key: sign with another key than the one in jwk. alg:
        header "alg" (default: the key's). signature: raw bytes to use instead of
        signing (b"" for alg none); mutate_sig: function applied to the signature.
        raw_protected: a function of the header dict returning the exact JSON text
        to send (for duplicate or escaped member names).
        """
        prot = {"alg": alg or key.alg}
        if kid is not None:
            prot["kid"] = kid
        else:
            prot["jwk"] = key.jwk()
        if nonce is None:
            nonce = self.take_nonce()
        if nonce is not False:
            prot["nonce"] = nonce
        prot["url"] = url
        for k, v in (header or {}).items():
            if v is None:
                prot.pop(k, None)
            else:
                prot[k] = v
        if payload is None:
            pl = ""
        elif isinstance(payload, (dict, list)):
            pl = b64u(compact_json(payload))
        elif isinstance(payload, bytes):
            pl = b64u(payload)
        else:
            pl = b64u(payload.encode())
        p64 = b64u(raw_protected(prot) if raw_protected else compact_json(prot))
        signing_input = (p64 + "." + pl).encode()
        if signature is None:
            signer = sign_key or key
            signature = signer.sign(prot["alg"] if prot.get("alg") in
                                    ("RS256", "ES256", "ES384", "ES512") else signer.alg,
                                    signing_input)
        if mutate_sig is not None:
            signature = mutate_sig(signature)
        return {"protected": p64, "payload": pl, "signature": b64u(signature)}

    def post_raw(self, url, body, ctype="application/jose+json"):
        if isinstance(body, dict):
            body = compact_json(body)
        hdrs = {"Content-Type": ctype} if ctype else {}
        return self.request("POST", url, body, hdrs)

    def post(self, url, payload, key, kid=None, ctype="application/jose+json", **kw):
        return self.post_raw(url, self.jws(url, payload, key, kid=kid, **kw), ctype)

    # EAB -----------------------------------------------------------------------
    def eab(self, eab_kid, hmac_b64, account_key, url=None, payload_key=None, alg="HS256",
            mutate_sig=None, header=None):
        """externalAccountBinding: HS256 JWS over the account key's JWK (RFC 8555 §7.3.4)."""
        prot = {"alg": alg, "kid": eab_kid, "url": url or self.url("newAccount")}
        for k, v in (header or {}).items():
            if v is None:
                prot.pop(k, None)
            else:
                prot[k] = v
        p64 = b64u(compact_json(prot))
        pl = b64u(compact_json((payload_key or account_key).jwk()))
        mac = hmac.new(b64u_dec(hmac_b64), (p64 + "." + pl).encode(), hashlib.sha256).digest()
        if mutate_sig is not None:
            mac = mutate_sig(mac)
        return {"protected": p64, "payload": pl, "signature": b64u(mac)}

    def new_account(self, key, eab=None, contact=None, only_existing=False, **kw):
        payload = {"termsOfServiceAgreed": True}
        if contact:
            payload["contact"] = contact
        if only_existing:
            payload["onlyReturnExisting"] = True
        if eab is not None:
            payload["externalAccountBinding"] = eab
        return self.post(self.url("newAccount"), payload, key, **kw)


def flip(sig, i=-1):
    """A copy of sig with byte i inverted."""
    b = bytearray(sig)
    b[i] ^= 0xFF
    return bytes(b)


# ---------------------------------------------------------------------- http-01

class Http01:
    """Serves answers on 127.0.0.1:port: answers maps a token to the body (str or
    bytes); an unknown token gets 404. seen records (Host, path) of each GET."""

    def __init__(self, port):
        self.answers = {}
        self.seen = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen.append((self.headers.get("Host"), self.path))
                pre = "/.well-known/acme-challenge/"
                tok = self.path[len(pre):] if self.path.startswith(pre) else None
                body = outer.answers.get(tok)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if isinstance(body, bytes) else body.encode())

            def log_message(self, *a):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.srv.daemon_threads = True
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


# ---------------------------------------------------------------------- dns-01

def dns01_txt(key_authorization):
    """RFC 8555 §8.4: the TXT value, base64url(SHA-256(key authorization))."""
    return b64u(hashlib.sha256(key_authorization.encode()).digest())


class ChallTestSrv:
    """pebble-challtestsrv's management API on 127.0.0.1:port (the test's DNS
    server). Host names are given without the final dot."""

    def __init__(self, port):
        self.port = int(port)

    def _post(self, path, obj):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("POST", path, body=json.dumps(obj))
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise ProtocolError("challtestsrv %s %r: HTTP %d" % (path, obj, r.status))
        finally:
            c.close()

    def set_txt(self, host, value):
        """Adds a TXT record (several values at one host are all served)."""
        self._post("/set-txt", {"host": host + ".", "value": value})

    def clear_txt(self, host):
        self._post("/clear-txt", {"host": host + "."})

    def set_servfail(self, host):
        self._post("/set-servfail", {"host": host + "."})

    def set_cname(self, host, target):
        self._post("/set-cname", {"host": host + ".", "target": target + "."})


# ------------------------------------------------------------------------- CSRs

def make_csr(key, cn=None, sans=(), org="Example University", ips=(), digest=None):
    """PKCS#10 DER. key: Key. cn: subject CN (None: no CN). sans: DNS names;
    ips: IP address SANs. digest: a cryptography hash (default SHA-256)."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
             x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Aichi"),
             x509.NameAttribute(NameOID.LOCALITY_NAME, "Nagoya"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    alt = [x509.DNSName(n) for n in sans]
    alt += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if alt:
        b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return b.sign(key.priv, digest or hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# ------------------------------------------------------------------ store counts

def db_counts(dbdir=None):
    """{sub-database: entries} of the server's LMDB, read with mdb_stat -a."""
    dbdir = dbdir or os.environ["ACME_DB"]
    out = subprocess.run(["mdb_stat", "-a", dbdir], capture_output=True, text=True,
                         check=True).stdout
    counts, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"Status of (.*)$", line)
        if m:
            cur = m.group(1)
        m = re.match(r"\s+Entries: (\d+)", line)
        if m and cur is not None:
            counts[cur] = int(m.group(1))
    return counts


def counts_diff(before, after):
    d = ["%s %d->%d" % (k, before.get(k, 0), after.get(k, 0))
         for k in sorted(set(before) | set(after)) if before.get(k, 0) != after.get(k, 0)]
    return "unchanged" if not d else "changed: " + ", ".join(d)


def report(r, before=None, tag="", **extra):
    """Print a Response as key=value lines for the shell's checks, each key
    prefixed with tag: status, ct, nonce (yes/no), type, pstatus, detail, nsub,
    sub_values, sub_types, algorithms; stored (record counts against before)."""
    def out(k, v):
        print("%s%s=%s" % (tag, k, " ".join(str(v).split())))
    out("status", r.status)
    out("ct", r.ct)
    out("nonce", "yes" if r.nonce and NONCE_RE.match(r.nonce) else "no")
    p = r.problem
    if p is not None:
        out("type", p.get("type", ""))
        out("pstatus", p.get("status", ""))
        out("detail", p.get("detail", ""))
        subs = p.get("subproblems") or []
        out("nsub", len(subs))
        if subs:
            out("sub_values", ",".join(sorted(str((s.get("identifier") or {}).get("value"))
                                              for s in subs)))
            out("sub_types", ",".join(sorted(set(str(s.get("type")) for s in subs))))
        if "algorithms" in p:
            out("algorithms", ",".join(p["algorithms"]))
    else:
        out("type", "")
        out("body", r.body[:300].decode("utf-8", "replace"))
    if before is not None:
        out("stored", counts_diff(before, db_counts()))
    for k, v in extra.items():
        out(k, v)


# ---------------------------------------------------------------------- session

class Session:
    """Accounts and orders that persist between snippets in a JSON state file."""

    def __init__(self, directory_url, cafile, state_path):
        self.acme = ACME(directory_url, cafile)
        self.path = state_path
        self.state = {"accounts": {}, "orders": {}, "vals": {}}
        if os.path.exists(state_path):
            with open(state_path) as f:
                self.state.update(json.load(f))

    @classmethod
    def from_env(cls):
        return cls(os.environ["ACME_DIR"], os.environ["ACME_CA"], os.environ["ACME_STATE"])

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.path)

    def set(self, name, value):
        self.state["vals"][name] = value
        self.save()

    def get(self, name):
        return self.state["vals"][name]

    # accounts --------------------------------------------------------------------
    def register(self, name, alg, eab_kid=None, eab_hmac=None, contact=None):
        """Create an account; returns (response, key). The account is kept only on 201."""
        key = Key.generate(alg)
        eab = self.acme.eab(eab_kid, eab_hmac, key) if eab_kid else None
        r = self.acme.new_account(key, eab=eab, contact=contact)
        if r.status == 201 and r.location:
            self.state["accounts"][name] = {"pem": key.pem(), "kid": r.location}
            self.save()
        return r, key

    def account(self, name):
        a = self.state["accounts"][name]
        return Key.from_pem(a["pem"]), a["kid"]

    def post_as(self, name, url, payload, **kw):
        key, kid = self.account(name)
        return self.acme.post(url, payload, key, kid=kid, **kw)

    # orders ----------------------------------------------------------------------
    def new_order(self, acct, names, save_as=None):
        r = self.post_as(acct, self.acme.url("newOrder"),
                         {"identifiers": [{"type": "dns", "value": n} for n in names]})
        if save_as and r.status == 201:
            self.state["orders"][save_as] = {"url": r.location, "acct": acct, "obj": r.json()}
            self.save()
        return r

    def order(self, name):
        return self.state["orders"][name]

    def start_challenges(self, acct, order_name, srv, body=None):
        """POST {} to the http-01 challenge of every authorization of the order,
        after putting body(token, key_authorization) into srv.answers (default:
        the key authorization itself; a body of None leaves the token unserved)."""
        key, _ = self.account(acct)
        for az_url in self.order(order_name)["obj"]["authorizations"]:
            az = self.post_as(acct, az_url, None).expect(200)
            ch = [c for c in az.json()["challenges"] if c["type"] == "http-01"]
            if not ch:
                raise ProtocolError("no http-01 challenge: %s" % az.describe())
            ka = ch[0]["token"] + "." + key.thumbprint()
            ans = ka if body is None else body(ch[0]["token"], ka)
            if ans is not None:
                srv.answers[ch[0]["token"]] = ans
            self.post_as(acct, ch[0]["url"], {}).expect(200)

    def start_dns01(self, acct, order_name, dns, txt=None):
        """POST {} to the dns-01 challenge of every authorization of the order,
        after publishing txt(identifier value, right TXT value) (default: the
        right value; a list publishes each; None publishes nothing) at
        _acme-challenge.<identifier value>. Returns the authorizations (JSON)."""
        key, _ = self.account(acct)
        out = []
        for az_url in self.order(order_name)["obj"]["authorizations"]:
            az = self.post_as(acct, az_url, None).expect(200).json()
            ch = [c for c in az["challenges"] if c["type"] == "dns-01"]
            if not ch:
                raise ProtocolError("no dns-01 challenge: %r" % az)
            name = az["identifier"]["value"]
            right = dns01_txt(ch[0]["token"] + "." + key.thumbprint())
            vals = right if txt is None else txt(name, right)
            for v in ([vals] if isinstance(vals, str) else vals or []):
                dns.set_txt("_acme-challenge." + name, v)
            self.post_as(acct, ch[0]["url"], {}).expect(200)
            out.append(az)
        return out

    def wait_order(self, acct, order_name, timeout=20):
        """Poll the order's authorizations until none is pending; then read the
        order. Returns (order response, [last authz response of each])."""
        deadline = time.time() + timeout
        authzs = []
        for az_url in self.order(order_name)["obj"]["authorizations"]:
            while True:
                az = self.post_as(acct, az_url, None)
                if az.status != 200 or az.json()["status"] != "pending" or time.time() > deadline:
                    break
                time.sleep(0.2)
            authzs.append(az)
        return self.post_as(acct, self.order(order_name)["url"], None), authzs

    def validate(self, acct, order_name, port=None, timeout=20):
        """Answer every http-01 challenge of the order correctly and wait for the
        result. Returns (order response, [authz responses], Http01)."""
        srv = Http01(port or int(os.environ["ACME_HTTP01"]))
        try:
            self.start_challenges(acct, order_name, srv)
            r, authzs = self.wait_order(acct, order_name, timeout)
        finally:
            srv.close()
        return r, authzs, srv
