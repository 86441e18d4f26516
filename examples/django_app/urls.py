"""The example's URLs: a sign-up starts a welcome workflow, its status is read by id."""

from __future__ import annotations

from django.urls import path

from .shop import views

urlpatterns = [
    path("signups", views.sign_up),
    path("signups/<str:instance_id>", views.signup_status),
]
