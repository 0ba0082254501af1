"""Volunteer accounts: anyone may sign up; a coordinator may switch an account off and on again."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, password_validation
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.models import Member
from members.roles import VOLUNTEER


class VolunteerSignupForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Votre prénom et votre nom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail"),
        help_text=gettext_lazy("Elle vous servira à vous connecter."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Mot de passe"),
        strip=False,
        help_text=gettext_lazy("Au moins 8 caractères, pas trop simple."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Le même mot de passe, encore une fois"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Indiquez votre nom."))
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        User = get_user_model()
        if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
            raise forms.ValidationError(
                _("Un compte existe déjà avec cette adresse. Connectez-vous, ou demandez un nouveau mot de passe.")
            )
        return email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas les mêmes."))
        elif first:
            email = cleaned.get("email") or ""
            user = get_user_model()(username=email, email=email, first_name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def volunteer_create(*, name: str, email: str, password: str):
    """A login in the ``volunteer`` group and the ``Member`` behind it."""
    first, _sep, last = name.partition(" ")
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=email, email=email, password=password, first_name=first[:150], last_name=last[:150]
        )
        user.groups.add(Group.objects.get(name=VOLUNTEER))
        Member.objects.create(user=user, name=name, email=email)
    return user


def volunteer_signup(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("meals:shifts" if request.user.has_perm("meals.add_shiftsignup") else "members:home")
    form = VolunteerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = volunteer_create(name=data["name"], email=data["email"], password=data["password1"])
        except IntegrityError:
            # Two sign-ups with the same address at once: the second one lands here.
            form.add_error("email", _("Un compte existe déjà avec cette adresse."))
        else:
            login(request, user, backend="members.backends.EmailBackend")
            messages.success(request, _("Bienvenue ! Votre compte est créé. Choisissez un créneau quand vous voulez."))
            return redirect("meals:shifts")
    return render(request, "members/volunteer_signup.html", {"form": form})


@login_required
@permission_required("members.change_member", raise_exception=True)
def volunteer_list(request):
    members = (
        Member.objects.active()
        .filter(user__groups__name=VOLUNTEER)
        .select_related("user")
        .order_by("-user__is_active", "name")
        .distinct()
    )
    return render(request, "members/volunteers.html", {"volunteers": members})


@require_POST
@login_required
@permission_required("members.change_member", raise_exception=True)
def volunteer_toggle(request, pk: int):
    member = get_object_or_404(Member.objects.select_related("user"), pk=pk, user__groups__name=VOLUNTEER)
    user = member.user
    if user == request.user or user.is_superuser or user.has_perm("members.change_member"):
        messages.error(request, _("Ce compte ne peut pas être désactivé ici."))
    else:
        user.is_active = not user.is_active
        user.save(update_fields=["is_active"])
        if user.is_active:
            messages.success(request, _("Le compte de %(name)s est réactivé.") % {"name": member.name})
        else:
            messages.success(
                request,
                _("Le compte de %(name)s est désactivé : cette personne ne peut plus se connecter.")
                % {"name": member.name},
            )
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)  # not redirect(): "-1" is not a view name
    return redirect("members:volunteers")
