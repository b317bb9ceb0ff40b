"""The rule the local emulators' guards share, in Python (moto, LocalStack);
infra/local/guard/Refusal.java says the same for DynamoDB Local and ElasticMQ.

A local emulator serves programs on this machine, never a web page, so it
answers 403, without any CORS header, to what a browser sends on a page's
behalf:

- a CORS preflight (OPTIONS);
- a request with an Origin header (browsers send one with every cross-origin
  request and every POST);
- a request whose Sec-Fetch-Site is neither same-origin nor none (a
  cross-site image, form or script);
- a request whose Host is not a loopback name: a page whose own name was
  rebound to 127.0.0.1 (DNS rebinding) would otherwise be same-origin.

SDKs and curl send none of these.
"""

import re

LOOPBACK = "127.0.0.1"

_IPV4_LOOPBACK = re.compile(r"127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
# LocalStack's name for loopback (public DNS answers 127.0.0.1 for it and
# every name under it): its virtual hosts (function URLs, buckets) live there.
_LOCALSTACK_HOSTNAME = "localhost.localstack.cloud"


def loopback_host(hostport: str) -> bool:
    """localhost, 127.x.y.z, [::1], or localhost.localstack.cloud and the names
    under it, with or without a port."""
    h = hostport.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        rest = h[end + 1 :] if end > 0 else ""
        return end > 0 and h[1:end] == "::1" and (rest == "" or (rest[:1] == ":" and rest[1:].isdigit()))
    name, sep, port = h.partition(":")
    if sep and not port.isdigit():
        return False
    if name == "localhost" or name == _LOCALSTACK_HOSTNAME or name.endswith("." + _LOCALSTACK_HOSTNAME):
        return True
    m = _IPV4_LOOPBACK.fullmatch(name)
    return m is not None and all(int(g) <= 255 for g in m.groups())


def refusal(method: str, origin: str | None, fetch_site: str | None, host: str | None) -> str | None:
    """Why a request is refused, or None when it may pass."""
    if method.upper() == "OPTIONS":
        return "CORS preflight refused: this local emulator serves no web page"
    if origin is not None:
        return "request with an Origin header refused: this local emulator serves no web page"
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return f"request with Sec-Fetch-Site: {fetch_site} refused: this local emulator serves no web page"
    if host and not loopback_host(host):
        return f"Host {host} refused: this local emulator answers loopback names only"
    return None
