"""Settings of the Django example (docs/integration.md). wfc keeps its state in a database of its own, ``WFC_DB``:
a SQLite file here; with PostgreSQL, Django's own database with ``?schema=wfc`` works as well."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "only-for-the-example")
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
INSTALLED_APPS = ["examples.django_app.shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "examples.django_app.urls"
DATABASES: dict[str, dict[str, object]] = {}  # the example's views need no ORM; your project's database goes here
USE_TZ = True

WFC_DB = os.environ.get("WFC_DB", f"sqlite:///{BASE_DIR / 'wfc.db'}")
