"""The OpenID Provider: django-oauth-toolkit customised through its validator and settings."""
