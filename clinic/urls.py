"""Clinic's pages, included by config/urls.py."""

from django.urls import path

from clinic import views

urlpatterns = [
    path("patients/", views.patient_search, name="patients"),
]
