from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Registers the deployment checks (check --deploy).
        from clinic import checks  # noqa: F401
