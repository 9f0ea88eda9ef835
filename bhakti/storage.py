"""Media on S3-compatible storage, with presigned download links a browser can reach.

Why not django-storages' `custom_domain` for S3_PUBLIC_URL: it turns presigned URLs off and
hands out plain public links, and Bhakti's media is private (a creator's videos and uploads).
Instead, when S3_PUBLIC_URL is set, download links are *signed for* that address: the servers
talk to S3 at S3_ENDPOINT (e.g. http://minio:9000 inside docker compose) while browsers get
links to S3_PUBLIC_URL (e.g. http://localhost:9000). A SigV4 signature covers the host, so a
link signed for the internal host and rewritten afterwards would be refused; signing with the
public endpoint is the only way both hold. Signing is local: no request goes to that address.
"""

from __future__ import annotations

import threading
from typing import Any

from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PresignedS3Storage(S3Storage):
    """S3Storage whose url() presigns against `public_endpoint_url` when one is given."""

    def __init__(self, *, public_endpoint_url: str | None = None, **settings: Any):
        self.public_endpoint_url = public_endpoint_url or None
        self._public_clients = threading.local()
        super().__init__(**settings)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_public_clients", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._public_clients = threading.local()

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        if not self.public_endpoint_url or not self.querystring_auth:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        params = dict(parameters or {})
        params["Bucket"] = self.bucket_name
        params["Key"] = self._normalize_name(clean_name(name))
        return self._public_client().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=expire if expire is not None else self.querystring_expire,
            HttpMethod=http_method,
        )

    def _public_client(self) -> Any:
        client = getattr(self._public_clients, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
            )
            self._public_clients.client = client
        return client
