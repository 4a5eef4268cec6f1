"""Forms of the identity domain's admin (shape only; the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm

from accounts.errors import EmailInvalid, PhoneInvalid
from accounts.models import AccountLink, ApiCredential, Client, Email, Phone, User
from accounts.validators import (
    normalize_email,
    normalize_phone,
    normalize_realname,
    validate_birthdate,
)
from connect_id.errors import DomainError


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.split() if line.strip()]


class AdminSignInForm(AdminAuthenticationForm):
    """The admin's sign-in: by verified email or phone (the model's USERNAME_FIELD is the opaque
    id, whose 19-character limit Django would put on this field)."""

    username = forms.CharField(
        label="Email or phone number",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)  # the field declared above
        username.max_length = 254
        username.widget.attrs["maxlength"] = 254
        username.label = "Email or phone number"

    def clean(self) -> dict[str, Any]:
        from accounts.throttle import Throttled

        try:
            return super().clean()
        except Throttled as exc:
            raise forms.ValidationError(str(exc.message), code="throttled") from None


class UserChangeForm(forms.ModelForm):
    """The admin's user form: the domain's rules show as field errors, not as a 500."""

    class Meta:
        model = User
        fields = ["realname", "birthdate", "attributes", "is_active", "is_staff", "is_superuser"]

    def clean_realname(self) -> str:
        return _domain_checked(normalize_realname, self.cleaned_data.get("realname", ""))

    def clean_birthdate(self) -> Any:
        return _domain_checked(validate_birthdate, self.cleaned_data.get("birthdate"))


def _domain_checked(check: Any, value: Any) -> Any:
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None


class UserCreateForm(forms.Form):
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=32, help_text="With country code.")
    realname = forms.CharField(label="Name", required=False, max_length=200)
    password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Leave empty for an inactive user."
    )
    verified = forms.BooleanField(required=False, help_text="Mark the email and phone verified.")
    is_staff = forms.BooleanField(label="Staff", required=False)
    is_superuser = forms.BooleanField(label="Superuser", required=False)


class ContactInlineForm(forms.ModelForm):
    """Normalises the address or number so the admin sees errors inline."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # BaseModelForm.clean() returns cleaned_data
        try:
            if "address" in data:
                data["address"] = normalize_email(data["address"])
            if "number" in data:
                data["number"] = normalize_phone(
                    data["number"], default_region=settings.PHONE_DEFAULT_REGION
                )
        except (EmailInvalid, PhoneInvalid) as exc:
            self.add_error(exc.field, exc.message)
        return data


class EmailInlineForm(ContactInlineForm):
    class Meta:
        model = Email
        fields = ["address", "verified", "priority", "preferred"]


class PhoneInlineForm(ContactInlineForm):
    class Meta:
        model = Phone
        fields = ["number", "type", "verified", "priority", "preferred"]


class AccountLinkInlineForm(forms.ModelForm):
    class Meta:
        model = AccountLink
        fields = ["type", "external_user_id", "msisdn"]


class ClientForm(forms.Form):
    """Every registration detail of spec §7.1; URIs one per line."""

    name = forms.CharField(label="User-facing name", max_length=255)
    client_type = forms.ChoiceField(choices=Client.CLIENT_TYPES)
    platform = forms.ChoiceField(choices=Client.Platform.choices)
    application_type = forms.ChoiceField(choices=Client.ApplicationType.choices)
    grant_types = forms.MultipleChoiceField(
        choices=Client.GrantType.choices, widget=forms.CheckboxSelectMultiple
    )
    allowed_scopes = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    redirect_uris = forms.CharField(
        label="Redirect URIs", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    post_logout_redirect_uris = forms.CharField(
        label="Post-logout redirect URIs", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    backchannel_logout_uri = forms.URLField(
        label="Back-channel logout URI", required=False, assume_scheme="https"
    )
    skip_authorization = forms.BooleanField(
        label="First-party", required=False, help_text="First-party clients skip consent."
    )
    sso_enabled = forms.BooleanField(label="SSO enabled", required=False, initial=True)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    company = forms.CharField(required=False, max_length=200)
    contact_email = forms.EmailField(label="Technical contact", required=False)
    logo_uri = forms.URLField(label="Logo URL", required=False, assume_scheme="https")
    login_identifiers = forms.ChoiceField(
        label="Sign in with", choices=Client.LoginIdentifiers.choices, required=False
    )
    require_password = forms.BooleanField(
        required=False, help_text="New users choose a password even at level of assurance 1."
    )
    stay_signed_in = forms.ChoiceField(
        label="Stay signed in",
        choices=Client.StaySignedIn.choices,
        required=False,
        help_text="Web clients only.",
    )
    terms_uri = forms.URLField(label="Terms of service URL", required=False, assume_scheme="https")
    privacy_uri = forms.URLField(label="Privacy policy URL", required=False, assume_scheme="https")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed_scopes = self.fields["allowed_scopes"]
        assert isinstance(allowed_scopes, forms.MultipleChoiceField)  # the field declared above
        allowed_scopes.choices = [
            (name, f"{name}: {text}") for name, text in settings.OAUTH2_PROVIDER["SCOPES"].items()
        ]

    def registration(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["redirect_uris"] = _lines(data["redirect_uris"])
        data["post_logout_redirect_uris"] = _lines(data["post_logout_redirect_uris"])
        data["login_identifiers"] = data["login_identifiers"] or Client.LoginIdentifiers.PHONE_EMAIL
        data["stay_signed_in"] = data["stay_signed_in"] or Client.StaySignedIn.HIDDEN
        return data

    @classmethod
    def initial_for(cls, client: Client) -> dict[str, Any]:
        initial = {name: getattr(client, name) for name in cls.base_fields}
        initial["redirect_uris"] = "\n".join(client.redirect_uris.split())
        initial["post_logout_redirect_uris"] = "\n".join(client.post_logout_redirect_uris.split())
        return initial


class ApiCredentialForm(forms.Form):
    name = forms.CharField(max_length=200)
    owner = forms.CharField(required=False, max_length=200, help_text="Company or contact.")
    grantor_id = forms.CharField(
        required=False,
        max_length=100,
        label="Grantor id",
        help_text="Rights, subscriptions and event queues created with them carry this id.",
    )
    operations = forms.MultipleChoiceField(
        choices=ApiCredential.Operation.choices, widget=forms.CheckboxSelectMultiple
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput)
    confirm = forms.CharField(label="Password again", widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # BaseForm.clean() returns cleaned_data
        if data.get("password") != data.get("confirm"):
            self.add_error("confirm", "The two passwords differ.")
        return data
