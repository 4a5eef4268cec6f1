"""URLs of the OpenID Provider: CONNECT's /oauth paths and the sign-in pages under /gui."""

from django.urls import path

from accounts.oidc import views
from accounts.signin.urls import urlpatterns as signin_patterns

oauth_patterns = [
    path("authorize", views.AuthorizeView.as_view(), name="authorize"),
    path("token", views.TokenView.as_view(), name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("tokeninfo", views.tokeninfo, name="tokeninfo"),
    path("introspect", views.introspect, name="introspect"),
    path("revoke", views.RevokeTokenView.as_view(), name="revoke"),
    path("logout", views.logout_endpoint, name="logout"),
    path("public_keys.jwks", views.jwks, name="jwks"),
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
]

gui_patterns = [
    *signin_patterns,
    path("signout", views.logout_confirm, name="signout"),
]
