from django.urls import path, register_converter

from meals.views import attendance as attendance_views
from meals.views import booking, planning, public
from meals.views import door as door_views
from meals.views import kitchen as kitchen_views
from meals.views import messages as message_views
from meals.views import receipts as receipt_views
from meals.views import reports as report_views
from meals.views import shifts as shift_views
from meals.views import sourcing as sourcing_views
from members.converters import SmsCodeConverter, TokenConverter

app_name = "meals"

# <token:…> matches only a token new_token() could have made: anything else is a 404 at once.
register_converter(TokenConverter, "token")
register_converter(SmsCodeConverter, "sms_code")

urlpatterns = [
    # Guests (issue: booking) ------------------------------------------
    path("", public.upcoming, name="upcoming"),
    path("repas/<int:pk>/", public.meal_detail, name="meal"),
    path("repas/<int:pk>/reserver/", booking.book, name="book"),
    path("repas/<int:pk>/reserver-pour/", booking.book_on_behalf, name="book_on_behalf"),
    path("repas/<int:pk>/reservation-envoyee/", booking.booking_sent, name="booking_sent"),
    path("reservation/<token:token>/", booking.booking_detail, name="booking"),
    path("reservation/<token:token>/annuler/", booking.cancel_booking, name="cancel_booking"),
    path("reservation/<token:token>/cantine.ics", booking.booking_ics, name="booking_ics"),
    path("reservation/<token:token>/pour-un-appel/", booking.book_on_behalf_done, name="book_on_behalf_done"),
    # Volunteers (issue: shifts) ---------------------------------------
    path("creneaux/", shift_views.board, name="shifts"),
    path("creneaux/<int:pk>/je-viens/", shift_views.claim, name="claim_shift"),
    path("creneaux/<int:pk>/je-me-desinscris/", shift_views.release, name="release_shift"),
    path("creneaux/mes-creneaux/", shift_views.my_shifts, name="my_shifts"),
    path("creneaux/agenda/<token:token>.ics", shift_views.shifts_ical, name="shifts_ical"),
    path("creneaux/agenda/nouveau-lien/", shift_views.regenerate_calendar_token, name="regenerate_calendar_token"),
    path("creneaux/semaine/", shift_views.overview, name="shift_overview"),
    path("creneaux/<int:pk>/inscrire/", shift_views.assign, name="shift_assign"),
    path("creneaux/inscription/<int:pk>/retirer/", shift_views.unassign, name="shift_unassign"),
    path("creneaux/modele/", shift_views.template_edit, name="shift_template"),
    path("creneaux/repas/<int:pk>/presences/", attendance_views.shift_attendance, name="shift_attendance"),
    path("creneaux/inscription/<int:pk>/presence/", attendance_views.mark_attendance, name="mark_attendance"),
    path("creneaux/a-relancer/", attendance_views.shift_followups, name="shift_followups"),
    path("creneaux/inscription/<int:pk>/relancer/", attendance_views.shift_follow_up, name="shift_follow_up"),
    # Door desk (issue: door) ------------------------------------------
    path("accueil/", door_views.door_today, name="door_today"),
    path("accueil/repas/<int:pk>/", door_views.door_desk, name="door"),
    path("accueil/repas/<int:pk>/participation/", door_views.record_contribution, name="record_contribution"),
    path("accueil/repas/<int:pk>/sans-reservation/", door_views.door_walk_in, name="door_walk_in"),
    path("accueil/repas/<int:pk>/caisse/cloture/", door_views.door_till_close, name="door_till_close"),
    path("accueil/repas/<int:pk>/caisse/reouverture/", door_views.door_till_reopen, name="door_till_reopen"),
    path("accueil/repas/<int:pk>/feuille-du-jour/", door_views.day_sheet, name="day_sheet"),
    path("repas/<int:pk>/cuisine/", kitchen_views.kitchen, name="kitchen"),
    path("accueil/reservation/<int:pk>/arrivee/", door_views.door_check_in, name="door_check_in"),
    path("accueil/reservation/<int:pk>/annuler-arrivee/", door_views.door_undo_check_in, name="door_undo_check_in"),
    path("accueil/reservation/<int:pk>/appele/", door_views.door_called, name="door_called"),
    path("accueil/participation/<int:pk>/annuler/", door_views.door_void_contribution, name="door_void_contribution"),
    # Planning (issue: coordinators) -----------------------------------
    path("planning/", planning.planning_list, name="planning"),
    path("planning/nouveau-repas/", planning.meal_new, name="planning_new"),
    path("planning/nouvelle-serie/", planning.series_new, name="planning_series"),
    path("planning/repas/<int:pk>/", planning.meal_edit, name="planning_edit"),
    path("planning/repas/<int:pk>/annuler/", planning.meal_cancel, name="planning_cancel"),
    path("planning/repas/<int:pk>/places-partenaire/", planning.seat_block_set, name="planning_seat_block"),
    # Reports (issue: reports) -----------------------------------------
    path("bilans/", report_views.reports, name="reports"),
    path("bilans/participations/", report_views.report_contributions, name="report_contributions"),
    path("bilans/frequentation/", report_views.report_attendance, name="report_attendance"),
    path("bilans/benevolat/", report_views.report_volunteers, name="report_volunteers"),
    path("bilans/convives/", report_views.report_guests, name="report_guests"),
    path("bilans/export/<slug:kind>.csv", report_views.report_csv, name="report_csv"),
    # Gifts, tax receipts and accounts (issue 16) -------------------------------
    path("dons/", receipt_views.receipts, name="receipts"),
    path("dons/recus/emettre/", receipt_views.receipt_issue, name="receipt_issue"),
    path("dons/recus/<int:pk>/annuler/", receipt_views.receipt_cancel, name="receipt_cancel"),
    path("dons/recus/<int:pk>/recu.pdf", receipt_views.receipt_download, name="receipt_pdf"),
    path("dons/registre.csv", receipt_views.receipts_csv, name="receipts_csv"),
    path("comptabilite/", receipt_views.accounting_page, name="accounting"),
    path("comptabilite/export.csv", receipt_views.accounting_csv, name="accounting_csv"),
    # Purchases and sourcing (issue 17) ----------------------------------
    path("achats/", sourcing_views.purchase_list, name="purchases"),
    path("achats/nouvel-achat/", sourcing_views.purchase_new, name="purchase_new"),
    path("achats/<int:pk>/", sourcing_views.purchase_detail, name="purchase"),
    path("achats/<int:pk>/rembourse/", sourcing_views.purchase_reimbursed, name="purchase_reimbursed"),
    path("achats/<int:pk>/ticket/", sourcing_views.purchase_receipt, name="purchase_receipt"),
    path("achats/fournisseurs/", sourcing_views.supplier_list, name="suppliers"),
    path("achats/repas/<int:pk>/", sourcing_views.meal_sourcing, name="meal_sourcing"),
    path("bilans/approvisionnement/", sourcing_views.report_sourcing, name="report_sourcing"),
    path("bilans/approvisionnement.csv", sourcing_views.report_sourcing_csv, name="report_sourcing_csv"),
    # Messages (issue: outbox) -------------------------------------------
    path("messages/", message_views.outbox, name="outbox"),
    path("messages/<int:pk>/renvoyer/", message_views.outbox_retry, name="outbox_retry"),
    path("r/<sms_code:code>", message_views.short_link, name="short_link"),
    path("s/<sms_code:code>", message_views.sms_stop, name="sms_stop"),
    path("sms/recu/<str:secret>/", message_views.sms_inbound, name="sms_inbound"),
]
