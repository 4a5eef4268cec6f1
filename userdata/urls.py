"""URLs of the /id/ REST API (spec §1.2); path parameters keep CONNECT's names."""

from django.urls import path, re_path

from userdata import rights_views, views

app_name = "userdata"

USER = "users/<str:connectId>"
MAIL = f"{USER}/mails/<str:mailId>"
PHONE = f"{USER}/phones/<str:phoneId>"

urlpatterns = [
    path("users", views.UsersView.as_view(), name="users"),
    path(USER, views.UserView.as_view(), name="user"),
    path(f"{USER}/mails", views.MailsView.as_view(), name="mails"),
    path(MAIL, views.MailView.as_view(), name="mail"),
    path(f"{MAIL}/sendverificationmail", views.MailSendVerificationView.as_view()),
    path(f"{MAIL}/makeprimary", views.MailMakePrimaryView.as_view()),
    path(f"{USER}/phones", views.PhonesView.as_view(), name="phones"),
    path(PHONE, views.PhoneView.as_view(), name="phone"),
    path(f"{PHONE}/sendverificationsms", views.PhoneSendVerificationView.as_view()),
    path(f"{PHONE}/verify", views.PhoneVerifyView.as_view()),
    path(f"{PHONE}/makeprimary", views.PhoneMakePrimaryView.as_view()),
    path(f"{USER}/accounts", views.AccountsView.as_view(), name="accounts"),
    path(f"{USER}/accounts/<str:accountId>", views.AccountView.as_view(), name="account"),
    path(f"{USER}/rights", rights_views.RightsView.as_view(), name="rights"),
    path(f"{USER}/rights/<str:rightId>", rights_views.RightView.as_view(), name="right"),
    path(f"{USER}/rights/<str:rightId>/usage", rights_views.RightUsageView.as_view()),
    path(f"{USER}/subs", rights_views.SubsView.as_view(), name="subs"),
    path(f"{USER}/subs/<str:subId>", rights_views.SubView.as_view(), name="sub"),
    path("schema", views.SchemaView.as_view(), name="schema"),
    path("docs", views.DocsView.as_view(), name="docs"),
    re_path(r"^.*$", views.UnknownPathView.as_view()),
]
