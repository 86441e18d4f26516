"""A Django project in front of wfc (docs/integration.md; tests/integration/test_django_app.py runs it): a
``wfc_worker`` management command runs the workers, views start and read workflows by name through
``wfc.Client``."""
