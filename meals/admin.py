from django.contrib import admin

from meals.models import (
    Booking,
    Contribution,
    Meal,
    MealSeries,
    SeatBlock,
    Shift,
    ShiftSignup,
    ShiftTemplate,
    TillClosing,
)


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0
    readonly_fields = ["taken"]


@admin.register(Meal)
class MealAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "title", "capacity", "seats_taken", "status", "cost_price"]
    list_filter = ["status"]
    date_hierarchy = "starts_at"
    readonly_fields = ["seats_taken", "extra_seats"]
    inlines = [ShiftInline]


@admin.register(MealSeries)
class MealSeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "created_at"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    # Seats are counted under a lock by meals.services: the admin only reads bookings.
    list_display = ["meal", "name", "party_size", "status", "is_walk_in", "checked_in_at"]
    list_filter = ["status", "is_walk_in"]
    search_fields = ["name", "email", "phone"]
    raw_id_fields = ["meal", "member", "partner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["meal", "role", "starts_at", "slots", "taken"]
    list_filter = ["role"]
    readonly_fields = ["taken"]


@admin.register(ShiftSignup)
class ShiftSignupAdmin(admin.ModelAdmin):
    list_display = ["shift", "member", "created_at", "attended"]
    list_filter = ["attended"]
    raw_id_fields = ["shift", "member", "booking"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money is never edited or deleted: the admin may only look."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ["meal", "amount", "method", "recorded_at", "recorded_by", "voided_at"]
    list_filter = ["method"]


@admin.register(TillClosing)
class TillClosingAdmin(ReadOnlyAdmin):
    list_display = ["meal", "counted_cash", "expected_cash", "closed_at", "closed_by", "reopened_at"]


@admin.register(SeatBlock)
class SeatBlockAdmin(admin.ModelAdmin):
    list_display = ["meal", "partner", "seats", "release_at"]


@admin.register(ShiftTemplate)
class ShiftTemplateAdmin(admin.ModelAdmin):
    list_display = ["role", "minutes_before_meal", "duration_minutes", "slots", "active"]
    list_editable = ["active"]
