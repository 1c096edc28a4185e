"""Marshmallow schemas, one module per resource; the OpenAPI document is generated from them."""
