"""The development servers' TLS material: a CA, server and client certificates that
verify against it, owner-only files."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

from cryptography import x509

from ops.devservers.certs import ensure_ca, issue_cert


def test_server_cert_verifies_against_the_ca_for_its_hosts(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    ca = ensure_ca(folder)
    server = issue_cert(folder, "broker-1", hosts=("localhost", "127.0.0.1"))
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.load_cert_chain(str(server.cert), str(server.key))  # key matches the cert
    cert = x509.load_pem_x509_certificate(server.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert cert.issuer == x509.load_pem_x509_certificate(ca.cert.read_bytes()).subject


def test_the_ca_is_made_once_and_every_file_is_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    first = ensure_ca(folder).cert.read_bytes()
    client = issue_cert(folder, "worker", client=True)
    assert ensure_ca(folder).cert.read_bytes() == first
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (client.cert, client.key, folder / "ca.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    subject = x509.load_pem_x509_certificate(client.cert.read_bytes()).subject
    assert subject.rfc4514_string() == "CN=worker"
