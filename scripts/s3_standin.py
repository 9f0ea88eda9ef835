"""A local S3 stand-in for the production-settings test pass (moto's real HTTP server).

Usage: s3_standin.py PORT_FILE BUCKET. Listens on 127.0.0.1 (a free port), creates BUCKET,
writes the port to PORT_FILE, and serves until it is terminated.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*moto\\[server\\].*")

import boto3  # noqa: E402 - after the warning filter
from moto.server import ThreadedMotoServer  # noqa: E402


def main(port_file: Path, bucket: str) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - moto accepts any key
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=bucket)
    port_file.write_text(str(port))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
