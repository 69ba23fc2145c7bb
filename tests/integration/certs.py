"""Certificates for integration tests, made with python3-cryptography: a CA,
leaves it signs, self-signed leaves, at any dates. PEM files only."""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc


def now():
    return datetime.datetime.now(UTC)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def thumbprint(cert):
    return cert.fingerprint(hashes.SHA1()).hex()


class CA:
    def __init__(self, cn="umedge test root"):
        self.key = _key()
        self.name = _name(cn)
        t = now()
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(t - datetime.timedelta(days=1))
                     .not_valid_after(t + datetime.timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                                  False, False), critical=True)
                     .sign(self.key, hashes.SHA256()))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(cert_pem(self.cert))


def leaf(cn, issuer=None, not_before=None, not_after=None, eku=("server", "client")):
    """A leaf signed by issuer (a CA), or self-signed when issuer is None.
    Returns (cert, key)."""
    key = _key()
    t = now()
    nb = not_before or t - datetime.timedelta(hours=1)
    na = not_after or t + datetime.timedelta(days=100)
    b = (x509.CertificateBuilder().subject_name(_name(cn))
         .issuer_name(issuer.name if issuer else _name(cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    usages = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage([usages[u] for u in eku]), critical=False)
    cert = b.sign(issuer.key if issuer else key, hashes.SHA256())
    return cert, key


def write_pair(folder, stem, cert, key, same_file=False):
    """Write STEM.pem (+ STEM.key unless same_file) atomically enough for a
    poller: key first, certificate last."""
    if same_file:
        data = cert_pem(cert) + key_pem(key)
    else:
        kp = os.path.join(folder, stem + ".key")
        with open(kp + ".part", "wb") as f:
            f.write(key_pem(key))
        os.chmod(kp + ".part", 0o600)
        os.rename(kp + ".part", kp)
        data = cert_pem(cert)
    p = os.path.join(folder, stem + ".pem")
    with open(p + ".part", "wb") as f:
        f.write(data)
    os.rename(p + ".part", p)
    return p


def remove_pair(folder, stem):
    for ext in (".pem", ".key"):
        try:
            os.unlink(os.path.join(folder, stem + ext))
        except FileNotFoundError:
            pass
