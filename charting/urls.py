"""Charting's pages (nurse, clinician and the patient's own reports), included by
config/urls.py."""

from django.urls import path

from charting.views import clinician as clinician_views
from charting.views import nurse as nurse_views
from charting.views import observation as observation_views
from charting.views import patient_reports as patient_report_views
from charting.views import review as review_views

urlpatterns = [
    # Nurse pages
    path("nurse/", nurse_views.nurse_day, name="nurse-day"),
    path(
        "sessions/<int:session_id>/screening/",
        nurse_views.session_screening,
        name="session-screening",
    ),
    path(
        "courses/<int:course_id>/screening/", nurse_views.course_screening, name="course-screening"
    ),
    path(
        "sessions/<int:session_id>/observation/",
        observation_views.observation_page,
        name="observation",
    ),
    # Before observation-values: "anchor" and "sign" are slugs too (tests/test_urls.py).
    path(
        "sessions/<int:session_id>/observation/anchor/",
        observation_views.observation_anchor,
        name="observation-anchor",
    ),
    path(
        "sessions/<int:session_id>/observation/sign/",
        observation_views.observation_sign_view,
        name="observation-sign",
    ),
    path(
        "sessions/<int:session_id>/observation/<slug:checkpoint>/",
        observation_views.observation_values,
        name="observation-values",
    ),
    path(
        "sessions/<int:session_id>/observation/<slug:checkpoint>/<slug:field>/amend/",
        observation_views.observation_amend_view,
        name="observation-amend",
    ),
    # Clinician pages
    path("alerts/", clinician_views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", clinician_views.alert_ack, name="alert-ack"),
    path(
        "screenings/<int:screening_id>/override/",
        clinician_views.screening_override_view,
        name="screening-override",
    ),
    path(
        "screenings/<int:screening_id>/review/",
        clinician_views.screening_review_view,
        name="screening-review",
    ),
    path("sessions/<int:session_id>/parameters/", clinician_views.parameters, name="parameters"),
    path("courses/<int:course_id>/outcomes/", clinician_views.outcomes, name="course-outcomes"),
    path(
        "courses/<int:course_id>/outcomes/baseline/",
        clinician_views.outcome_baseline,
        name="course-outcome-baseline",
    ),
    path(
        "courses/<int:course_id>/early-review/decision/",
        review_views.early_review_decision,
        name="early-review-decision",
    ),
    path(
        "courses/<int:course_id>/checkin-setting/",
        review_views.checkin_setting,
        name="course-checkin-setting",
    ),
    # The patient's own reports (charting/views/patient_reports.py)
    path("p/<str:token>/reports/", patient_report_views.reports_home, name="patient-reports"),
    path(
        "p/<str:token>/reports/<int:course_id>/checkin/",
        patient_report_views.checkin,
        name="patient-checkin",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/my-answers.csv",
        patient_report_views.export,
        name="patient-export",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/<slug:scale>/<int:session_number>/",
        patient_report_views.questionnaire_start,
        name="patient-questionnaire",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/<slug:scale>/<int:session_number>/<int:number>/",
        patient_report_views.question,
        name="patient-question",
    ),
    path(
        "p/<str:token>/reports/<int:course_id>/<slug:scale>/<int:session_number>/check/",
        patient_report_views.questionnaire_review,
        name="patient-questionnaire-review",
    ),
]
