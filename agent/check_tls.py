"""Why `voice-agent check` could not reach the broker, when TLS is the cause: plain MQTT on
a TLS port or TLS on a plain one, a certificate not trusted or for another name, a client
certificate wanted or refused. Each cause comes with its fix."""

from __future__ import annotations

import socket
import ssl

from agent.config import MqttConfig, TlsConfig

PROBE_TIMEOUT_S = 5.0  # to connect, and to wait for the broker's answer

# -- why the broker probe failed, when TLS is the cause ------------------------------------------
# A bare MQTT 3.1.1 CONNECT (no client id, clean session): any broker answers with a CONNACK.
MQTT_CONNECT = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0])
CONNACK = b"\x20"
ALERT_WAIT_S = 0.5
HOSTNAME_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
NOT_YET_VALID, EXPIRED = 9, 10
CLIENT_CERT_WANTED = ("TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_HANDSHAKE_FAILURE")
CLIENT_CERT_REFUSED = (
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
)


def _tls_context(tls: TlsConfig | None, *, check_hostname: bool = True) -> ssl.SSLContext:
    """What the client uses (paho's tls_set); with tls None, one that only asks whether a
    port speaks TLS at all."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if tls is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if tls.cert_file is not None:
        ctx.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.ca_file is not None:
        ctx.load_verify_locations(tls.ca_file)
    else:
        ctx.load_default_certs()
    ctx.check_hostname = check_hostname and not tls.insecure
    return ctx


def _exchange(m: MqttConfig, ctx: ssl.SSLContext | None) -> tuple[bool, OSError | None]:
    """Connect (over TLS when ctx is given) and send a bare CONNECT. Returns whether a TLS
    handshake completed and what went wrong (None: a CONNACK came back)."""
    handshake = False
    try:
        with socket.create_connection((m.host, m.port), timeout=PROBE_TIMEOUT_S) as raw:
            sock = raw if ctx is None else ctx.wrap_socket(raw, server_hostname=m.host)
            handshake = ctx is not None
            with sock:
                if handshake:
                    _alert(sock)
                sock.sendall(MQTT_CONNECT)
                if sock.recv(1) == CONNACK:
                    return handshake, None
                return handshake, ConnectionError("the connection closed without a CONNACK")
    except OSError as exc:  # ssl.SSLError is an OSError
        return handshake, exc


def _alert(sock: socket.socket) -> None:
    """In TLS 1.3 a broker refuses our certificate (or its absence) after the handshake:
    wait briefly for that alert before sending, which could reset the connection first."""
    sock.settimeout(ALERT_WAIT_S)
    try:
        if sock.recv(1) == b"":
            raise ConnectionError("the broker closed the connection after the TLS handshake")
    except TimeoutError:
        pass  # nothing to say: the broker waits for our CONNECT
    sock.settimeout(PROBE_TIMEOUT_S)


def _reachable(m: MqttConfig) -> bool:
    try:
        with socket.create_connection((m.host, m.port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _cert_names(m: MqttConfig) -> str:
    """The names the broker's certificate carries (its subjectAltName, else its CN)."""
    try:
        with socket.create_connection((m.host, m.port), timeout=PROBE_TIMEOUT_S) as raw:
            ctx = _tls_context(m.tls, check_hostname=False)
            with ctx.wrap_socket(raw, server_hostname=m.host) as sock:
                cert = sock.getpeercert() or {}
    except OSError:
        return "other names"
    names = [v for k, v in _pairs(cert.get("subjectAltName")) if k in ("DNS", "IP Address")]
    if not names:
        subject = cert.get("subject")
        rdns = subject if isinstance(subject, tuple) else ()
        names = [v for rdn in rdns for k, v in _pairs(rdn) if k == "commonName"]
    return ", ".join(names) or "no host name"


def _pairs(value: object) -> list[tuple[str, str]]:
    """(key, value) pairs of a decoded certificate field (ssl's getpeercert)."""
    if not isinstance(value, tuple):
        return []
    return [(str(p[0]), str(p[1])) for p in value if isinstance(p, tuple) and len(p) == 2]


def tls_cause(m: MqttConfig) -> tuple[str, str] | None:
    """(detail, fix) when the broker is there but TLS is why we could not talk to it: a CA
    that did not sign its certificate, a certificate for another name, TLS spoken to a plain
    port or plain MQTT to a TLS port. None when TLS is not the cause."""
    try:
        if not _reachable(m):
            return None  # nothing listens there: host, port or a stopped broker
        if m.tls is None:
            return _plain_cause(m)
        return _secure_cause(m, m.tls)
    except (OSError, ValueError):  # unreadable TLS files: the client said so already
        return None


def _plain_cause(m: MqttConfig) -> tuple[str, str] | None:
    where = f"{m.host}:{m.port}"
    if _exchange(m, None)[1] is None:
        return None  # it speaks plain MQTT after all
    handshake, _ = _exchange(m, _tls_context(None))
    if not handshake:
        return None
    return (
        f"{where} speaks TLS, but mqtt.tls is not set, so we spoke plain MQTT to it",
        "plain MQTT spoken to a TLS port: add mqtt.tls with ca_file (the CA certificate that "
        "signed the broker's certificate), or set mqtt.port to the broker's plain listener "
        "(usually 1883)",
    )


def _secure_cause(m: MqttConfig, tls: TlsConfig) -> tuple[str, str] | None:
    where = f"{m.host}:{m.port}"
    handshake, error = _exchange(m, _tls_context(tls))
    if error is None:
        return None  # TLS works: the failure is elsewhere
    if isinstance(error, ssl.SSLCertVerificationError):
        return _verify_cause(m, tls, error)
    reason = getattr(error, "reason", None) or ""
    if reason in CLIENT_CERT_WANTED and tls.cert_file is None:
        return (
            f"TLS with {where}: the broker asks for a client certificate, and "
            "mqtt.tls.cert_file is not set",
            "the broker wants a client certificate: set mqtt.tls.cert_file and "
            "mqtt.tls.key_file to one signed by the CA the broker trusts",
        )
    if reason in CLIENT_CERT_REFUSED + CLIENT_CERT_WANTED and tls.cert_file is not None:
        return (
            f"TLS with {where}: the broker refused the client certificate in "
            f"mqtt.tls.cert_file ({tls.cert_file}): {error}",
            "the broker refused mqtt.tls.cert_file: set mqtt.tls.cert_file and "
            "mqtt.tls.key_file to a certificate signed by the CA the broker trusts "
            "(Mosquitto's cafile)",
        )
    if handshake:
        return None  # TLS itself worked
    if _exchange(m, None)[1] is None:
        return (
            f"{where} speaks plain MQTT, not TLS, but mqtt.tls is set",
            "TLS spoken to a plain port: set mqtt.port to the broker's TLS listener (usually "
            "8883), or remove mqtt.tls to connect without TLS",
        )
    return (
        f"TLS handshake with {where} failed: {error}",
        "the TLS handshake failed: check that mqtt.port is the broker's TLS listener (usually "
        "8883) and that mqtt.tls matches the broker's certificates",
    )


def _verify_cause(
    m: MqttConfig, tls: TlsConfig, error: ssl.SSLCertVerificationError
) -> tuple[str, str]:
    where = f"{m.host}:{m.port}"
    what = error.verify_message or str(error)
    if error.verify_code in HOSTNAME_MISMATCH:
        names = _cert_names(m)
        return (
            f"TLS with {where}: the broker's certificate is for {names}, not for mqtt.host "
            f"{m.host!r}",
            f"the certificate names another host: set mqtt.host to one of {names}, or give "
            f"the broker a certificate for {m.host}",
        )
    if error.verify_code == EXPIRED:
        return (
            f"TLS with {where}: the broker's certificate has expired ({what})",
            "the broker's certificate has expired: renew it (Mosquitto's certfile), or check "
            "this machine's clock (timedatectl)",
        )
    if error.verify_code == NOT_YET_VALID:
        return (
            f"TLS with {where}: the broker's certificate is not valid yet ({what})",
            "the certificate is not valid yet: set this machine's clock (timedatectl; a Pi "
            "without network time starts in the past)",
        )
    if tls.ca_file is None:
        return (
            f"TLS with {where}: the broker's certificate is not signed by a CA this system "
            f"trusts ({what})",
            "no CA this system trusts signed the broker's certificate: set mqtt.tls.ca_file "
            "to the CA certificate that did (Mosquitto's cafile)",
        )
    return (
        f"TLS with {where}: the broker's certificate is not signed by the CA in "
        f"mqtt.tls.ca_file, {tls.ca_file} ({what})",
        "mqtt.tls.ca_file is not the CA that signed the broker's certificate: set it to the "
        "CA certificate that did (Mosquitto's cafile)",
    )
