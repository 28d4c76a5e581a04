from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "charting"

    def ready(self) -> None:
        # Scheduling's session lifecycle asks charting's gates (screenings before check-in and
        # start, a signed observation record before completion) without importing charting.
        from charting.gates import ChartingGates
        from scheduling.lifecycle_gates import register_session_gates

        register_session_gates(ChartingGates())
