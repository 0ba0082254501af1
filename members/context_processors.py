def roles(request) -> dict:
    """What the navigation may show: one flag per job, from permissions."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can": {}}
    return {
        "can": {
            "shifts": user.has_perm("meals.add_shiftsignup"),
            "door": user.has_perm("meals.run_door"),
            "plan": user.has_perm("meals.plan_meals"),
            "reports": user.has_perm("meals.view_reports"),
            "members": user.has_perm("members.view_member"),
            "partner": user.has_perm("meals.book_for_partner"),
            "cantine": user.has_perm("members.change_cantinesettings"),
            "outbox": user.has_perm("meals.manage_outbox"),
            "receipts": user.has_perm("meals.manage_receipts"),
            "purchases": user.has_perm("meals.manage_purchases"),
            "hygiene": user.has_perm("hygiene.record_hygiene"),
        }
    }


def cantine(request) -> dict:
    """The cantine's name, address and phone for every page (read when a template first asks, kept per process)."""
    from django.utils.functional import SimpleLazyObject

    from members.models import cantine_settings

    return {"cantine": SimpleLazyObject(cantine_settings)}
