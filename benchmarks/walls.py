"""One host whose pages answer a bot wall's challenge with a 429 or 503: enricher's time.

A challenge (Cloudflare's managed challenge, Vercel's) refuses whoever asks, at any pace; a
client that reads it as a rate limit slows the host down for nothing. This serves, on
127.0.0.1, ``--links`` pages of which a ``--share`` answer the challenge (``--status``, no
Retry-After, the vendor's headers and page) and the rest 200, and times one enricher run
(a whole process, cold cache), with its requests and verdicts:

    .venv/bin/python benchmarks/walls.py                       # 40 links, half challenged
    .venv/bin/python benchmarks/walls.py --vendor vercel --status 429 --links 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

VENDORS: dict[str, tuple[dict[str, str], bytes]] = {
    "cloudflare": (
        {"server": "cloudflare", "cf-mitigated": "challenge"},
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
        b"<script>window._cf_chl_opt={cType: 'managed'};</script></body></html>",
    ),
    "vercel": (
        {"server": "Vercel", "x-vercel-mitigated": "challenge"},
        b"<!DOCTYPE html><html><head><title>Vercel Security Checkpoint</title></head>"
        b"<body><p>We're verifying your browser</p></body></html>",
    ),
}

PAGE = b"<html><head><title>Page %d</title></head><body><p>%s</p></body></html>"


def serve(status: int, vendor: str, share: float) -> tuple[ThreadingHTTPServer, list[str]]:
    """A server on 127.0.0.1 (any port): /p/N challenged when N falls in ``share``."""
    headers, challenge = VENDORS[vendor]
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # the name http.server calls
            asked.append(self.path)
            number = int(self.path.rsplit("/", 1)[-1])
            walled = int(number * share) != int((number + 1) * share)
            body = challenge if walled else PAGE % (number, b"words " * 200)
            self.send_response(status if walled else 200)
            for name, value in headers.items() if walled else ():
                self.send_header(name, value)
            self.send_header("content-type", "text/html; charset=UTF-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, asked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=40)
    parser.add_argument("--share", type=float, default=0.5, help="pages challenged (0-1)")
    parser.add_argument("--status", type=int, default=503, choices=(429, 503))
    parser.add_argument("--vendor", choices=sorted(VENDORS), default="cloudflare")
    parser.add_argument("--timeout", type=float, default=600, help="kill the run after this")
    args = parser.parse_args()

    server, asked = serve(args.status, args.vendor, args.share)
    port = server.server_address[1]
    with tempfile.TemporaryDirectory(prefix="enricher-walls-") as work:
        digest = Path(work) / "digest.txt"
        lines = ["# A digest", "", "Some prose.", ""]
        lines += [f"[page {n}] http://127.0.0.1:{port}/p/{n}" for n in range(args.links)]
        digest.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = Path(work) / "report.json"
        command = [
            sys.executable, "-m", "enricher", str(digest), "--cache-dir", f"{work}/cache",
            "--allow-private", "--no-archive", "--no-paper-links", "--format", "json",
            "--output", str(report),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        began = time.perf_counter()
        subprocess.run(command, cwd=work, env=env, timeout=args.timeout, capture_output=True)
        took = time.perf_counter() - began
        totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    server.shutdown()
    challenged = sum(int(n * args.share) != int((n + 1) * args.share) for n in range(args.links))
    print(f"{args.links} links on one host, {challenged} behind {args.vendor}'s challenge "
          f"({args.status}, no Retry-After)")  # fmt: skip
    print(f"  enricher: {took:.2f} s, {len(asked)} requests at the server")
    print(f"  verdicts: {', '.join(f'{k} {v}' for k, v in totals.items() if v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
