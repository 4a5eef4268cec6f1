"""The hot statements are prepared once per database connection (connect_id.settings,
DB_PREPARE_THRESHOLD), so PostgreSQL stops planning the token lookup on every request: planning
that five-table join cost more database CPU than running it."""

from __future__ import annotations

from django.db import connection

from tests.factories import UserFactory


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_userinfo_token_lookup_is_prepared_after_a_few_requests(bearer_client):
    http = bearer_client(UserFactory(email="prepared@example.com"), "openid email")
    for _ in range(6):  # psycopg prepares on the 5th run of a statement on a connection
        response = http.get("/oauth/userinfo")
        assert response.status_code == 200, response.content
        assert response.json()["email"] == "prepared@example.com"
    lookup = [s for s in _prepared() if 'FROM "accounts_accesstoken" t' in s]
    assert len(lookup) == 1, _prepared()
    assert 'WHERE t."token_checksum" = $1' in lookup[0]  # bound, not a literal per token
