"""WSGI entry point for gunicorn (bench/latency.py --server gunicorn):

    gunicorn -k gevent -w 1 --worker-connections 2000 -b 127.0.0.1:8050 dashboard.wsgi:app

Serves what `python -m dashboard run` serves: the database is initialised and
the deadline sweep started when the worker imports this module. One worker
per process (Flask-SocketIO's rule); do not use --preload, or the sweep would
run in the master, whose emits reach nobody (see STACK.md, pitfall 1).
"""
from __future__ import annotations

from dashboard.app import create_app
from dashboard.bootstrap import check_instance_mode, init_database
from dashboard.gc_tuning import tune_for_serving
from dashboard.scheduler import start_scheduler
from dashboard.settings import Settings

settings = Settings.from_env()
init_database(settings)
check_instance_mode(settings)
application = create_app(settings)
if settings.scheduler:
    start_scheduler(application.services)
tune_for_serving()
app = application.flask
