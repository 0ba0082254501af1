from django.urls import path

from meals.views import booking, planning, public

app_name = "meals"

urlpatterns = [
    # Guests (issue: booking) ------------------------------------------
    path("", public.upcoming, name="upcoming"),
    path("repas/<int:pk>/", public.meal_detail, name="meal"),
    path("repas/<int:pk>/reserver/", booking.book, name="book"),
    path("repas/<int:pk>/reserver-pour/", booking.book_on_behalf, name="book_on_behalf"),
    path("reservation/<str:token>/", booking.booking_detail, name="booking"),
    path("reservation/<str:token>/annuler/", booking.cancel_booking, name="cancel_booking"),
    # Volunteers (issue: shifts) ---------------------------------------
    # Door desk (issue: door) ------------------------------------------
    # Planning (issue: coordinators) -----------------------------------
    path("planning/", planning.planning_list, name="planning"),
    path("planning/nouveau-repas/", planning.meal_new, name="planning_new"),
    path("planning/nouvelle-serie/", planning.series_new, name="planning_series"),
    path("planning/repas/<int:pk>/", planning.meal_edit, name="planning_edit"),
    path("planning/repas/<int:pk>/annuler/", planning.meal_cancel, name="planning_cancel"),
    path("planning/repas/<int:pk>/places-partenaire/", planning.seat_block_set, name="planning_seat_block"),
    # Reports (issue: reports) -----------------------------------------
]
