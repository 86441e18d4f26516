"""The JSON API's OpenAPI 3.1 schema (``GET /api/openapi.json``), written out by hand: the API is small, and a
schema written next to the routes stays as exact as the tests that read it (``tests/ui``)."""

from __future__ import annotations

from typing import Any

_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The instance id (a child's contains '/': send it as is).",
}
_ERROR = {
    "description": "An error: {error: {code, message, hint}}",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_CSRF = {
    "name": "X-WFC-CSRF",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The value of GET /api/csrf; required unless the request sends Authorization: Bearer.",
}


_QUEUE: dict[str, Any] = {
    "name": {"type": "string"},
    "concurrency": {"type": ["integer", "null"]},
    "worker_concurrency": {"type": ["integer", "null"]},
    "rate_limit": {
        "type": ["object", "null"],
        "properties": {"count": {"type": "integer"}, "per_seconds": {"type": "number"}},
    },
    "priority": {"type": "boolean"},
    "partitioned": {"type": "boolean"},
    "enqueued": {"type": "integer"},
    "active": {"type": "integer"},
    "rate": {"$ref": "#/components/schemas/Rate"},
    "partitions": {"type": ["integer", "null"], "description": "Partitioned: how many partitions have instances enqueued or active, or admitted in the window."},
}
"""A queue as ``GET /api/queues`` lists it: the keys of ``wfc queue list --json``, its rate and partitions."""


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


def _action(summary: str, body: dict[str, Any] | None, result: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [_ID, _CSRF],
        "responses": {"200": _json(result), "400": _ERROR, "403": _ERROR, "404": _ERROR, "409": _ERROR},
    }
    if body is not None:
        op["requestBody"] = body
    return {"post": op}


def _filters() -> list[dict[str, Any]]:
    def q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema or {"type": "string"},
            "description": description,
        }

    return [
        q("workflow", "A workflow's name or key (module:qualname)."),
        q(
            "state",
            "enqueued, running, sleeping, waiting, completed, failed or canceled; repeat it or separate with commas.",
        ),
        q("parent", "Only the children of this instance id."),
        q("id_prefix", "Only ids that start with this."),
        q("created_from", "Created at or after: ISO 8601 (UTC if no zone) or epoch seconds."),
        q("created_to", "Created before: ISO 8601 or epoch seconds."),
        q("queue", "Only the instances started on this named queue."),
        q("limit", "Page size, 1..500 (default 50).", {"type": "integer", "minimum": 1, "maximum": 500}),
        q("cursor", "The cursor of the previous page (opaque)."),
    ]


def schema() -> dict[str, Any]:
    obj = {"type": "object"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wfc ui",
            "version": "1",
            "description": "Instances of durable workflows: list, look, start, send events, cancel, restart. "
            "With a token, send Authorization: Bearer TOKEN. POSTs need X-WFC-CSRF unless they send the token.",
        },
        "paths": {
            "/api/instances": {
                "get": {
                    "summary": "List instances, newest first (keyset pages), with counts by state",
                    "parameters": _filters(),
                    "responses": {"200": _json({"$ref": "#/components/schemas/Page"}), "400": _ERROR},
                },
                "post": {
                    "summary": "Start a workflow by name, as wfc.Client.start does",
                    "parameters": [_CSRF],
                    "requestBody": _body(
                        {
                            "workflow": {"type": "string"},
                            "args": {"type": "array"},
                            "kwargs": {"type": "object"},
                            "id": {"type": "string"},
                        },
                        ["workflow"],
                    ),
                    "responses": {
                        "201": _json({"type": "object", "properties": {"id": {"type": "string"}}}, "Started"),
                        "400": _ERROR,
                        "403": _ERROR,
                        "409": _ERROR,
                    },
                },
            },
            "/api/instances/{id}": {
                "get": {
                    "summary": "An instance's status (wfc.Runtime.status) and children",
                    "parameters": [_ID],
                    "responses": {"200": _json(obj), "404": _ERROR},
                }
            },
            "/api/instances/{id}/history": {
                "get": {
                    "summary": "Its history records (wfc.Runtime.history)",
                    "parameters": [_ID],
                    "responses": {"200": _json({"type": "array", "items": obj}), "404": _ERROR},
                }
            },
            "/api/instances/{id}/variables": {
                "get": {
                    "summary": "Its live variables, read from its cursor (wfc.Runtime.query)",
                    "parameters": [_ID],
                    "responses": {"200": _json(obj), "404": _ERROR},
                }
            },
            "/api/instances/{id}/graph.svg": {
                "get": {
                    "summary": "Its workflow's graph with where it is, as SVG",
                    "parameters": [_ID],
                    "responses": {
                        "200": {"description": "SVG", "content": {"image/svg+xml": {}}},
                        "404": _ERROR,
                    },
                }
            },
            "/api/instances/{id}/events": _action(
                "Send an event (wfc.Runtime.send_event)",
                _body(
                    {
                        "name": {"type": "string"},
                        "value": {},
                        "error": {"type": "string"},
                        "event_id": {"type": "string"},
                    },
                    ["name"],
                ),
                {"type": "object", "properties": {"sent": {"type": "boolean"}}},
            ),
            "/api/instances/{id}/cancel": _action(
                "Cancel it (wfc.Runtime.cancel): wfc.Canceled at its yield, its cleanup runs; body "
                '{"force": true} ends it at once',
                None,
                obj,
            ),
            "/api/instances/{id}/restart": _action(
                "Restart it from a step (wfc.Runtime.restart)",
                _body({"from_step": {"type": ["integer", "string"]}}, ["from_step"]),
                {"type": "object", "properties": {"id": {"type": "string"}}},
            ),
            "/api/instances/{id}/fork": _action(
                "Fork it from a step into a new instance (wfc.Runtime.fork)",
                _body(
                    {"from_step": {"type": ["integer", "string"]}, "new_id": {"type": "string"}},
                    ["from_step"],
                ),
                {"type": "object", "properties": {"id": {"type": "string"}}},
            ),
            "/api/workflows": {
                "get": {
                    "summary": "Workflows, their table versions and instances per version and state",
                    "responses": {"200": _json({"type": "array", "items": obj})},
                }
            },
            "/api/workflows/diff": {
                "get": {
                    "summary": "wfc diff of two saved table versions: states unchanged, changed, added, removed",
                    "parameters": [
                        {"name": "old", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "new", "in": "query", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {"200": _json(obj), "400": _ERROR},
                }
            },
            "/api/queues": {
                "get": {
                    "summary": "Named queues (wfc queue list): declared limits, enqueued and active instances, "
                    "admissions in the last window (the rate limit's, else 60 s) against the rate limit",
                    "responses": {"200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Queue"}})},
                }
            },
            "/api/queues/{name}": {
                "get": {
                    "summary": "A queue (wfc queue show) with its partitions' load and admissions, and its line: the "
                    "enqueued instances in admission order (priority, then enqueue order), partition by partition",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "The queue's name (a '/' in it: send it as is).",
                        },
                        {
                            "name": "partition",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Only this partition's load and line (a partitioned queue).",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                            "description": "How many of the line (default 100).",
                        },
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/QueueDetail"}),
                        "400": _ERROR,
                        "404": _ERROR,
                    },
                }
            },
            "/hooks/{token}": {
                "post": {
                    "summary": "A webhook delivery: sends the body (JSON, else text) as the event its single-use URL "
                    "(wfc.ui.webhook_url) names; a second delivery is dropped (sent: false). Needs no token or CSRF.",
                    "parameters": [
                        {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json({"type": "object", "properties": {"sent": {"type": "boolean"}}}),
                        "403": _ERROR,
                        "409": _ERROR,
                    },
                }
            },
            "/api/csrf": {
                "get": {
                    "summary": "The CSRF value POSTs send in X-WFC-CSRF",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"csrf": {"type": "string"}, "read_only": {"type": "boolean"}},
                            }
                        )
                    },
                }
            },
            "/api/live": {
                "get": {
                    "summary": "Server-sent events: 'change' when the list (same filters) or ?instance=ID changed",
                    "parameters": [
                        *_filters(),
                        {"name": "instance", "in": "query", "schema": {"type": "string"}},
                        {"name": "queue_page", "in": "query", "schema": {"type": "string"},
                         "description": "A queue's page (with partition and limit)."},
                        {"name": "queues", "in": "query", "schema": {"type": "string"},
                         "description": "1: the queues' page."},
                    ],
                    "responses": {
                        "200": {"description": "text/event-stream", "content": {"text/event-stream": {}}}
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "hint": {"type": ["string", "null"]},
                            },
                        }
                    },
                },
                "Page": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}},
                        "cursor": {"type": ["string", "null"]},
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
                "Rate": {
                    "type": "object",
                    "properties": {
                        "window_seconds": {"type": "number"},
                        "admitted": {"type": "integer"},
                        "per_second": {"type": "number"},
                        "limit": {"type": ["integer", "null"]},
                        "limit_per_second": {"type": ["number", "null"]},
                    },
                },
                "Queue": {"type": "object", "properties": _QUEUE},
                "QueueDetail": {
                    "type": "object",
                    "properties": _QUEUE
                    | {
                        "partitions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "partition": {"type": "string"},
                                    "enqueued": {"type": "integer"},
                                    "active": {"type": "integer"},
                                    "rate": {"$ref": "#/components/schemas/Rate"},
                                },
                            },
                        },
                        "partition": {"type": ["string", "null"]},
                        "line": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "position": {"type": "integer"},
                                    "id": {"type": "string"},
                                    "workflow": {"type": "string"},
                                    "priority": {"type": "integer"},
                                    "partition": {"type": ["string", "null"]},
                                    "enqueued_at": {"type": "string"},
                                },
                            },
                        },
                        "line_more": {"type": "boolean"},
                        "now": {"type": "string"},
                    },
                },
                "Summary": {
                    "type": "object",
                    "properties": {
                        k: {"type": ["string", "null"]}
                        for k in (
                            "id",
                            "workflow",
                            "name",
                            "state",
                            "table_hash",
                            "created_at",
                            "updated_at",
                            "finished_at",
                            "parent_id",
                            "blocked",
                            "queue",
                        )
                    },
                },
            }
        },
    }
