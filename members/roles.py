"""The three roles of Cantine, as Django groups with permissions.

Created by a data migration, and again after every ``flush`` (post_migrate),
so tests that empty the database still find them. Views check permissions,
never group names.
"""

from django.apps import apps as global_apps

COORDINATOR = "coordinator"
VOLUNTEER = "volunteer"
PARTNER = "partner"
# The association's treasurer: gifts, tax receipts and the accountant's export, nothing of the door or the guests.
TREASURER = "treasurer"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    COORDINATOR: [
        "meals.plan_meals",
        "meals.run_door",
        "meals.view_reports",
        "meals.book_on_behalf",
        "meals.add_meal",
        "meals.change_meal",
        "meals.view_meal",
        "meals.view_booking",
        "meals.change_booking",
        "meals.add_shift",
        "meals.change_shift",
        "meals.view_shift",
        "meals.add_shiftsignup",
        "meals.delete_shiftsignup",
        "meals.view_shiftsignup",
        "meals.add_contribution",
        "meals.view_contribution",
        "meals.add_tillclosing",
        "meals.view_tillclosing",
        "meals.add_seatblock",
        "meals.change_seatblock",
        "meals.delete_seatblock",
        "meals.view_seatblock",
        "meals.add_mealseries",
        "meals.change_mealseries",
        "meals.view_mealseries",
        "members.add_member",
        "members.change_member",
        "members.view_member",
        "members.add_partner",
        "members.change_partner",
        "members.view_partner",
        "members.add_membership",
        "members.view_membership",
        "members.change_cantinesettings",
        "meals.manage_outbox",
        "meals.manage_receipts",
        "meals.manage_purchases",
        "hygiene.record_hygiene",
        "hygiene.view_logbook",
        "hygiene.manage_hygiene",
    ],
    VOLUNTEER: [
        "meals.view_shift",
        "meals.add_shiftsignup",
        # The kitchen team fills the hygiene logbook and reads it back (no guest's data in it).
        "hygiene.record_hygiene",
        "hygiene.view_logbook",
    ],
    PARTNER: [
        "meals.book_for_partner",
    ],
    TREASURER: [
        "meals.manage_receipts",
    ],
}


def ensure_roles(apps=global_apps, using: str = "default") -> None:
    """Create the role groups and give them their permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    for app_label in ("meals", "members", "hygiene"):
        # The real app config names the models; ``apps`` (historical in a
        # migration) is what the permissions are written through.
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, apps=apps, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            try:
                permission = Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            except Permission.DoesNotExist:
                if _model_is_not_made_yet(apps, app_label, codename):
                    continue  # an older migration: the one that makes the model gives its permissions
                raise
            wanted.append(permission)
        group.permissions.add(*wanted)


def _model_is_not_made_yet(apps, app_label: str, codename: str) -> bool:
    """True for a default permission (``change_cantinesettings``) of a model the migrations have not made yet."""
    action, _, model_name = codename.partition("_")
    if action not in {"add", "change", "delete", "view"}:
        # A permission of its own (``manage_outbox``): the model that declares it.
        owners = [
            model._meta.model_name
            for model in global_apps.get_app_config(app_label).get_models()
            if codename in dict(model._meta.permissions)
        ]
        if not owners:
            return False
        model_name = owners[0]
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return True
    return False
