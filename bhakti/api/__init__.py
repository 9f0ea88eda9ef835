"""The project-wide API toolkit: what every app's `api/` package builds its endpoints from.

`views.JsonApiView` (the base view), `errors` (the one error shape and the exception handler),
`middleware` (JSON errors for what Django answers before DRF), `parsers` and `json_input`
(strict JSON in), `pagination`, `schema` (OpenAPI error responses). Nothing here imports an
app: apps import this package, never the other way (docs/architecture.md).
"""
