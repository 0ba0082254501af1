from django.urls import path

from hygiene import views

app_name = "hygiene"

urlpatterns = [
    path("", views.today, name="today"),
    path("releve/", views.record_reading, name="record_reading"),
    path("livraison/", views.record_delivery, name="record_delivery"),
    path("refroidissement/", views.record_cooling, name="record_cooling"),
    path("nettoyage/", views.record_cleaning, name="record_cleaning"),
    path("consignes/", views.record_briefing, name="record_briefing"),
    path("corriger/<slug:kind>/<int:pk>/", views.correct, name="correct"),
    path("<int:year>/<int:month>/", views.month, name="month"),
    path("enceintes/", views.units, name="units"),
    path("enceintes/<int:pk>/service/", views.unit_toggle, name="unit_toggle"),
    path("plan-de-nettoyage/", views.cleaning_plan, name="cleaning_plan"),
    path("plan-de-nettoyage/<int:pk>/active/", views.task_toggle, name="task_toggle"),
]
