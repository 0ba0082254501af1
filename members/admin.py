from django.contrib import admin

from members.models import Member, Membership, Partner, Prerequisite


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_name", "contact_email", "contact_phone"]
    search_fields = ["name", "contact_name"]
    filter_horizontal = ["referents"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "partner", "created_at", "erased_at"]
    search_fields = ["name", "email", "phone"]
    list_filter = ["partner"]
    raw_id_fields = ["user"]
    # Health data (GDPR art. 9): given by the guest with consent when booking, cleared by an erasure only.
    readonly_fields = ["allergens", "diets", "health_consent_at"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "year", "amount", "method", "joined_on"]
    list_filter = ["year", "method"]
    raw_id_fields = ["member"]


@admin.register(Prerequisite)
class PrerequisiteAdmin(admin.ModelAdmin):
    """Read-only: prerequisites are recorded through members.services.record_prerequisite (the board follows)."""

    list_display = ["member", "kind", "met_at", "recorded_by"]
    list_filter = ["kind"]
    raw_id_fields = ["member", "recorded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
