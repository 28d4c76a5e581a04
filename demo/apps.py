from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic of `make run` (`manage.py seed_demo`): above every app, since it books
    and charts through all of them; no app imports it."""

    name = "demo"
    verbose_name = "Demo"
