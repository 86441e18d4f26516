"""Views in front of the workflows (docs/integration.md embeds this file): they start and read them by name
through ``wfc.Client`` and import none of their code; the ``wfc_worker`` processes run them."""

from __future__ import annotations

import functools
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import wfc


@functools.cache
def _client(url: str) -> wfc.Client:
    return wfc.Client(url)  # one per process (and database), not one per request


def client() -> wfc.Client:
    return _client(settings.WFC_DB)


@csrf_exempt  # a JSON API for other services; a form that posts here would keep Django's CSRF check
@require_POST
def sign_up(request: HttpRequest) -> JsonResponse:
    try:
        email = json.loads(request.body)["email"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": 'send {"email": "..."}'}, status=400)
    if not isinstance(email, str) or "@" not in email or "/" in email:
        return JsonResponse({"error": "not an email address"}, status=400)
    # The id makes the start idempotent: a retried request finds the instance the first one started.
    handle = client().start("welcome", email, id=f"welcome-{email}")
    return JsonResponse({"id": handle.id}, status=201)


@require_GET
def signup_status(request: HttpRequest, instance_id: str) -> JsonResponse:
    try:
        status = client().status(instance_id)
    except wfc.WfcError as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    body: dict[str, Any] = {"id": instance_id, "state": status.state.value, "error": status.error}
    if status.state.value == "completed":
        body["result"] = client().result(instance_id)
    return JsonResponse(body)
