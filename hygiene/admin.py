"""The admin reads the logbook and never deletes nor edits an entry (correct it in the logbook, with a reason)."""

from django.contrib import admin

from hygiene.models import Briefing, CleaningCheck, CleaningTask, ColdUnit, Cooling, Delivery, TemperatureReading


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EntryAdmin(NoDeleteAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False  # through the logbook's services, which check the rules and sign


@admin.register(ColdUnit)
class ColdUnitAdmin(NoDeleteAdmin):
    list_display = ["name", "kind", "min_c", "max_c", "active"]


@admin.register(CleaningTask)
class CleaningTaskAdmin(NoDeleteAdmin):
    list_display = ["area", "name", "frequency", "active"]


@admin.register(TemperatureReading)
class TemperatureReadingAdmin(EntryAdmin):
    list_display = ["taken_at", "unit", "temperature", "corrective_action", "recorded_by"]


@admin.register(Delivery)
class DeliveryAdmin(EntryAdmin):
    list_display = ["received_on", "product", "supplier_name", "lot", "temperature", "accepted", "recorded_by"]


@admin.register(Cooling)
class CoolingAdmin(EntryAdmin):
    list_display = ["started_at", "dish", "start_c", "end_c", "ended_at", "recorded_by"]


@admin.register(CleaningCheck)
class CleaningCheckAdmin(EntryAdmin):
    list_display = ["day", "task", "done", "recorded_by"]


@admin.register(Briefing)
class BriefingAdmin(EntryAdmin):
    list_display = ["day", "given_by", "recorded_by"]
