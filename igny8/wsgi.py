import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from igny8.static_files import static_files_problem

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igny8.settings")
application = get_wsgi_application()

# Refuse to start rather than answer every page with a 500 (see igny8.static_files).
if problem := static_files_problem():
    raise ImproperlyConfigured(problem)
