"""LocalStack's gateway refusing what a web page sends: a start hook
(LocalStack's ``localstack.hooks.on_infra_start`` plugin point), installed
into LocalStack's venv by infra/local/localstack.sh.

GATEWAY_LISTEN says where LocalStack listens (127.0.0.1 in localstack.sh),
but its default server (twisted) binds every IPv4 address of it on all
interfaces; and its CORS rules let pages of other origins script it: it allows
https://app.localstack.cloud, file:// and the origins of EXTRA_CORS_ALLOWED_ORIGINS
by default, checks no Host (a page whose name was rebound to 127.0.0.1 is
same-origin) and lets any request without an Origin header through. The
hook, before the gateway serves:

- makes the twisted server bind each IPv4 address of GATEWAY_LISTEN as
  given;
- keeps only loopback origins in LocalStack's allowed CORS origins;
- puts paylinks_guard.refusal in front of every AWS API and LocalStack
  endpoint (LocalStack's ``preprocess_request`` handlers run before its CORS
  check and any service): 403 with no CORS header. Function URLs
  (``<id>.lambda-url.<region>.localhost.localstack.cloud``) serve the
  application itself, as the dev server does: they keep LocalStack's CORS
  check, with loopback origins only.
"""

import logging
from urllib.parse import urlsplit

from localstack.runtime import hooks

from paylinks_guard import LOOPBACK, loopback_host, refusal

LOG = logging.getLogger(__name__)


def _function_url(host: str) -> bool:
    return ".lambda-url." in host.lower()


def _loopback_origin(origin: str) -> bool:
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and loopback_host(netloc)


def refuse_browser_requests(chain, context, response) -> None:
    """A LocalStack request handler: answers 403 to what refusal refuses."""
    headers = context.request.headers
    host = headers.get("Host") or ""
    if _function_url(host):
        return
    why = refusal(context.request.method, headers.get("Origin"), headers.get("Sec-Fetch-Site"), host)
    if why is None:
        return
    LOG.info("paylinks guard: %s %s: %s", context.request.method, context.request.path, why)
    response.status_code = 403
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.data = (why + "\n").encode("utf-8")
    # terminate, not stop: no response handler (CORS headers) runs after.
    chain.terminate()


def _bind_listen_hosts() -> None:
    """The twisted server makes its IPv4 endpoints without the host of
    GATEWAY_LISTEN (it listened on 0.0.0.0 for 127.0.0.1:<port>): it gets
    endpoints that pass that host as the interface."""
    from localstack import config
    from localstack.runtime.server import twisted as server
    from twisted.internet import endpoints

    hosts = {hp.port: hp.host for hp in config.GATEWAY_LISTEN if not config.is_ipv6_address(hp.host)}

    class Endpoints:
        TCP6ServerEndpoint = endpoints.TCP6ServerEndpoint

        @staticmethod
        def TCP4ServerEndpoint(reactor, port, *args, **kwargs):  # noqa: N802 (twisted's name)
            kwargs.setdefault("interface", hosts.get(port, LOOPBACK))
            return endpoints.TCP4ServerEndpoint(reactor, port, *args, **kwargs)

    server.endpoints = Endpoints


@hooks.on_infra_start(priority=100)
def guard_gateway() -> None:
    from localstack.aws import handlers
    from localstack.aws.handlers import cors

    _bind_listen_hosts()

    kept = [o for o in cors.ALLOWED_CORS_ORIGINS if _loopback_origin(o)]
    dropped = [o for o in cors.ALLOWED_CORS_ORIGINS if not _loopback_origin(o)]
    # In place: LocalStack's CORS check reads this very list.
    cors.ALLOWED_CORS_ORIGINS[:] = kept
    handlers.preprocess_request.append(refuse_browser_requests)
    LOG.info("paylinks guard: CORS origins %s dropped, %s kept; web pages' requests refused", dropped, kept)
