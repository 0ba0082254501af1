from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from members.forms import EmailAuthenticationForm, ThrottledPasswordResetForm, UnlockingSetPasswordForm

urlpatterns = [
    path("", include("meals.urls")),
    path("", include("members.urls")),
    path("hygiene/", include("hygiene.urls")),
    path(
        "comptes/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path(
        "comptes/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=ThrottledPasswordResetForm),
        name="password_reset",
    ),
    path(
        "comptes/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=UnlockingSetPasswordForm),
        name="password_reset_confirm",
    ),
    path("comptes/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:  # pragma: no cover - the quick start only
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

# Error pages in the visitor's language and the site's layout, without a query (cantine/errors.py).
handler400 = "cantine.errors.bad_request"
handler403 = "cantine.errors.permission_denied"
handler404 = "cantine.errors.page_not_found"
handler500 = "cantine.errors.server_error"
