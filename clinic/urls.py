"""Clinic's pages, included by config/urls.py."""

from django.urls import path

from clinic import views

urlpatterns = [
    path("patients/", views.patient_search, name="patients"),
    path("patients/new/", views.patient_register, name="patient-register"),
    path("patients/<int:patient_id>/edit/", views.patient_edit, name="patient-edit"),
]
