"""Requests to URLs a user gave us (publishing destinations, webhooks, sitemaps), made safely.

A user-given URL must not become a way into our own network: every connection this module opens
resolves the host once, refuses it when any address it resolves to is private, loopback,
link-local, multicast, reserved, unspecified or a cloud metadata address, and then connects to the
address it checked, so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot slip through. The check sits in the connection itself, so it holds for every
redirect hop too. Proxies from the environment are ignored (a proxy would connect on our behalf).

`ALLOW_PRIVATE_URLS=1` lifts the address check for tests and local demos (a WordPress on loopback);
`OUTBOUND_ALLOW_NETWORKS` admits named networks only (an intranet CMS). Metadata addresses stay
refused either way. Time-outs and the response-size limit always apply.
"""

import functools
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpcore
import httpx
from django.conf import settings

from igny8.errors import ApplicationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# Instance metadata services: AWS, GCP, Azure, OpenStack (169.254.169.254), AWS over IPv6,
# Alibaba Cloud, Oracle Cloud. They hand out credentials, so no setting opens them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192", "169.254.170.2")
)
MAX_REDIRECTS = 5


class UrlNotAllowed(ApplicationError):
    code = "url_not_allowed"
    default_message = "That address is not reachable from this service."


class OutboundFailed(ApplicationError):
    """The remote end could not be reached or did not answer in time (a retryable failure)."""

    status_code = 502
    code = "outbound_failed"
    default_message = "The remote server could not be reached."


class CrossHostRedirect(UrlNotAllowed):
    code = "cross_host_redirect"
    default_message = "The address redirects to another host, which is not followed."


class ResponseTooLarge(OutboundFailed):
    code = "response_too_large"
    default_message = "The remote server's answer is larger than allowed."


def address_problem(address: IPAddress, *, allow_private: bool, allowed: Iterable[IPNetwork] = ()) -> str:
    """Why connecting to `address` is refused, or "" when it is allowed."""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if allow_private or any(address in network for network in allowed):
        return ""
    for problem, refused in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("an unspecified address", address.is_unspecified),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private or not address.is_global),
    ):
        if refused:
            return problem
    return ""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OutboundFailed(f"The host name {host} could not be resolved.", code="dns_failed") from error
    return list(dict.fromkeys(answer[4][0] for answer in answers))


@dataclass(frozen=True)
class Policy:
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver)

    @classmethod
    def from_settings(cls, *, resolver: Resolver = system_resolver) -> "Policy":
        networks = tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in settings.OUTBOUND_ALLOW_NETWORKS.split(",")
            if item.strip()
        )
        return cls(allow_private=settings.ALLOW_PRIVATE_URLS, allowed_networks=networks, resolver=resolver)

    def checked_address(self, host: str, port: int) -> str:
        """The one address to connect to for `host`, after every address it resolves to was checked."""
        addresses = self.resolver(host, port)
        if not addresses:
            raise OutboundFailed(f"The host name {host} has no address.", code="dns_failed")
        for text in addresses:
            problem = address_problem(
                ipaddress.ip_address(text.split("%")[0]),
                allow_private=self.allow_private,
                allowed=self.allowed_networks,
            )
            if problem:
                raise UrlNotAllowed(f"{host} resolves to {problem} ({text}), which is not allowed.")
        return addresses[0]


class GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses the policy allows, to the very address it checked."""

    def __init__(self, policy: Policy):
        self.policy = policy

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = self.policy.checked_address(host, port)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


@functools.lru_cache(maxsize=1)
def ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs tens of milliseconds: once per process."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: Policy):
        super().__init__(retries=0, verify=ssl_context())
        # httpx builds its pool without a network backend argument; TLS still verifies the URL's host.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context(), network_backend=GuardedBackend(policy)
        )


def refuse_cross_host_redirect(response: httpx.Response) -> None:
    location = response.headers.get("location") if response.is_redirect else None
    if location is None:
        return
    target = response.request.url.join(location)
    if target.host != response.request.url.host:
        raise CrossHostRedirect(f"{response.request.url} redirects to another host ({target.host}).")


@dataclass
class OutboundResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    def json(self):
        return httpx.Response(self.status_code, content=self.content).json()


class OutboundClient:
    """A client for user-given URLs; use it as a context manager or call `close()`.

    `same_host_redirects`: a redirect to another host name raises CrossHostRedirect instead of being
    followed (a sitemap must not send us to hosts the user never named).
    """

    def __init__(
        self, *, policy: Policy | None = None, timeout: float | None = None, same_host_redirects: bool = False
    ):
        self.max_bytes = settings.OUTBOUND_MAX_RESPONSE_BYTES
        self.client = httpx.Client(
            transport=GuardedTransport(policy or Policy.from_settings()),
            timeout=timeout or settings.OUTBOUND_TIMEOUT,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
            headers={"User-Agent": "IGNY8-Automation"},
            event_hooks={"response": [refuse_cross_host_redirect]} if same_host_redirects else None,
        )

    def __enter__(self) -> "OutboundClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, url: str, **kwargs) -> OutboundResponse:
        """Send the request; raises UrlNotAllowed, ResponseTooLarge or OutboundFailed."""
        if httpx.URL(url).scheme not in ("http", "https"):
            raise UrlNotAllowed("Only http and https URLs are allowed.")
        try:
            with self.client.stream(method, url, **kwargs) as response:
                content = self.read_limited(response)
        except httpx.TimeoutException as error:
            raise OutboundFailed(f"{url} did not answer in time.", code="timeout") from error
        except httpx.TooManyRedirects as error:
            raise OutboundFailed(f"{url} redirects too many times.", code="too_many_redirects") from error
        except httpx.HTTPError as error:
            raise OutboundFailed(f"{url} could not be reached: {error}.") from error
        return OutboundResponse(response.status_code, response.headers, content, str(response.url))

    def read_limited(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise ResponseTooLarge(f"The answer of {response.url} is {declared} bytes.")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise ResponseTooLarge(f"The answer of {response.url} exceeds {self.max_bytes} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)
