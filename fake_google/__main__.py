"""`python -m fake_google --port N`: serve the local Google on 127.0.0.1."""

import argparse
import contextlib
import signal
import sys
import threading

from .server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeGoogle


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fake_google", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="allowed redirect URI (repeatable); default: any loopback URI",
    )
    parser.add_argument(
        "--persist", metavar="FILE", help="keep the state in this JSON file across restarts"
    )
    parser.add_argument(
        "--token-lifetime", type=int, default=3600, help="access token lifetime in seconds"
    )
    args = parser.parse_args(argv)
    fake = FakeGoogle(
        port=args.port,
        access_token_lifetime=args.token_lifetime,
        persist_path=args.persist,
        clients={
            args.client_id: {"secret": args.client_secret, "redirect_uris": args.redirect_uris}
        },
    )
    fake.start()
    sys.stdout.write(
        f"fake Google listening on {fake.url} (client_id={args.client_id})\n"
        f"  authorize {fake.url}/o/oauth2/v2/auth  token {fake.url}/token  "
        f"API root {fake.url}/calendar/v3/\n"
    )
    sys.stdout.flush()
    # SIGTERM (e.g. from `make run` shutting down) stops cleanly, saving a persisted state.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            stopping.wait()
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
