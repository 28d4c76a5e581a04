from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "charting"

    def ready(self) -> None:
        # Scheduling's session lifecycle asks charting's gates (screenings before check-in and
        # start, a signed observation record before completion) without importing charting.
        from charting.form_templates import protocol_observation_window_problems
        from charting.gates import ChartingGates
        from protocols.spec_checks import register_spec_check
        from scheduling.lifecycle_gates import register_session_gates

        register_session_gates(ChartingGates())
        # A protocol's observation window and its observation form's minimum are checked
        # against each other whichever of the two is loaded or saved.
        register_spec_check(protocol_observation_window_problems)
