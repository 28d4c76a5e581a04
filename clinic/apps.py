from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Registers the deployment checks (check --deploy).
        # A new login starts the idle clock (clinic/browser_privacy.py).
        from django.contrib.auth.signals import user_logged_in

        from clinic import checks  # noqa: F401
        from clinic.browser_privacy import session_started

        user_logged_in.connect(session_started, dispatch_uid="clinic-session-started")
