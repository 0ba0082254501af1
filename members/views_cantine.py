"""The cantine's identity and place: the coordinator's settings page, and the public « Venir à la cantine »."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from members.forms import CantineSettingsForm
from members.models import CantineSettings
from members.services import cantine_settings_update


@login_required
@permission_required("members.change_cantinesettings", raise_exception=True)
def cantine_settings_edit(request):
    # A fresh row, not the one every page shares: a form that does not validate still writes on its instance.
    row = CantineSettings.objects.defer("map_image", "signature_image").filter(pk=CantineSettings.PK).first()
    instance = row or CantineSettings.defaults()
    form = CantineSettingsForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            cantine_settings_update(values=form.values(), by=request.user)
            messages.success(request, _("Les réglages de la cantine sont enregistrés."))
            return redirect("members:cantine_settings")
    return render(request, "members/cantine_settings.html", {"form": form, "saved": row})


@require_GET
def first_visit(request):
    """« Venir à la cantine »: the address, how to get there, the access, the first visit, the price."""
    return render(request, "members/first_visit.html")


@require_GET
def cantine_map(request):
    """The plan the coordinator uploaded: an image prepared beforehand, served from the database (no map tiles)."""
    row = CantineSettings.objects.filter(pk=CantineSettings.PK).exclude(map_image_type="").first()
    if row is None:
        raise Http404(_("Pas de plan."))
    response = HttpResponse(bytes(row.map_image), content_type=row.map_image_type)
    # Pages link to it with its version (``?v=``): a new plan is a new address.
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response
