from django.urls import path

from meals.views import public

app_name = "meals"

urlpatterns = [
    # Guests (issue: booking) ------------------------------------------
    path("", public.upcoming, name="upcoming"),
    path("repas/<int:pk>/", public.meal_detail, name="meal"),
    # Volunteers (issue: shifts) ---------------------------------------
    # Door desk (issue: door) ------------------------------------------
    # Planning (issue: coordinators) -----------------------------------
    # Reports (issue: reports) -----------------------------------------
]
