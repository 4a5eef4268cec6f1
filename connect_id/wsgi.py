"""WSGI entry point (gunicorn connect_id.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connect_id.settings")
application = get_wsgi_application()
