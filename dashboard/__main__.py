"""`python -m dashboard ...` (CONTRACT "Command line")."""
import sys

if len(sys.argv) > 1 and sys.argv[1] == "run":
    # The server runs on gevent: patch before anything imports socket or threading.
    from gevent import monkey

    monkey.patch_all()

from dashboard.cli import main  # noqa: E402

main()
