"""TLS material for the development servers (the local Kafka cluster, the throw-away
PostgreSQL): a project certificate authority and the certificates it signs, as PEM files.

Everything is written owner-only (``0600`` files in a ``0700`` folder): a private key is a
secret whatever the umask. The CA is made once per folder and reused, so clients that trust
its file keep trusting every certificate made later in that folder.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from files.private import open_private, private_dir

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
# long enough for a development cluster that runs for months; the CA outlives its leaves
CA_DAYS = 3650
LEAF_DAYS = 825
DEFAULT_HOSTS = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class CertPair:
    """A signed certificate and its private key (unencrypted PKCS#8), both PEM files."""

    cert: Path
    key: Path


def ensure_ca(folder: Path, common_name: str = "bulkflow development CA") -> CertPair:
    """The folder's CA, made on first use."""
    private_dir(folder)
    pair = CertPair(folder / CA_CERT, folder / CA_KEY)
    if pair.cert.exists() and pair.key.exists():
        return pair
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_pair(pair, cert, key)
    return pair


def issue_cert(
    folder: Path,
    name: str,
    *,
    hosts: tuple[str, ...] = DEFAULT_HOSTS,
    client: bool = False,
    peer: bool = False,
    ca: CertPair | None = None,
) -> CertPair:
    """``<name>.pem`` / ``<name>.key`` in ``folder``, signed by the folder's CA (or ``ca``).

    A server certificate names ``hosts`` (DNS names and IP addresses) as subject alternative
    names, which is what hostname verification checks; ``client=True`` makes a client
    certificate (mTLS) whose common name is ``name``; ``peer=True`` a server certificate
    that is a client one too (a Kafka broker presents it to the other brokers)."""
    ca = ca or ensure_ca(folder)
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca.key} is not the EC key this module writes")
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
    if peer:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if not client:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_alt_name(h) for h in hosts]), critical=False
        )
    cert = builder.sign(ca_key, hashes.SHA256())
    pair = CertPair(folder / f"{name}.pem", folder / f"{name}.key")
    _write_pair(pair, cert, key)
    return pair


def _alt_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_pair(pair: CertPair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with open_private(pair.key) as f:
        f.write(key_pem)
    with open_private(pair.cert) as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
