from django.urls import path

from members import views, views_cantine, views_ready

app_name = "members"

urlpatterns = [
    path("mon-espace/", views.home, name="home"),
    # Volunteer accounts (issue: shifts) --------------------------------
    path("devenir-benevole/", views.volunteer_signup, name="volunteer_signup"),
    path("devenir-benevole/message-envoye/", views.volunteer_signup_sent, name="volunteer_signup_sent"),
    path("devenir-benevole/confirmer/<str:token>/", views.volunteer_confirm, name="volunteer_confirm"),
    path("mon-espace/avant-de-venir/", views_ready.volunteer_ready, name="volunteer_ready"),
    path("benevoles/", views.volunteer_list, name="volunteers"),
    path("benevoles/<int:pk>/activer/", views.volunteer_toggle, name="volunteer_toggle"),
    path("benevoles/<int:pk>/valider/", views.volunteer_approve, name="volunteer_approve"),
    path("connexions-bloquees/", views.lockouts, name="lockouts"),
    path("connexions-bloquees/debloquer/", views.unlock, name="unlock"),
    # Members, memberships, partners (issue: coordinators) -------------
    path("membres/", views.directory, name="directory"),
    path("membres/<int:pk>/", views.member_detail, name="member"),
    path("membres/<int:pk>/modifier/", views.member_edit, name="member_edit"),
    path("membres/<int:pk>/fusionner/", views.member_merge, name="member_merge"),
    path("membres/<int:pk>/adhesion/", views.membership_new, name="membership_new"),
    path("membres/<int:pk>/prerequis/", views_ready.prerequisite_record, name="prerequisite_record"),
    path("membres/<int:pk>/export.json", views.member_export, name="member_export"),
    path("membres/<int:pk>/effacer/", views.member_erase, name="member_erase"),
    path("adhesions/", views.membership_list, name="memberships"),
    path("partenaires/", views.partner_list, name="partners"),
    path("partenaires/nouveau/", views.partner_new, name="partner_new"),
    path("partenaires/<int:pk>/", views.partner_detail, name="partner"),
    path("partenaires/<int:pk>/modifier/", views.partner_edit, name="partner_edit"),
    path("partenaires/<int:pk>/referent/", views.partner_referent_new, name="partner_referent_new"),
    path("partenaires/<int:pk>/reservations/", views.partner_bookings, name="partner_bookings"),
    path(
        "partenaires/<int:pk>/reservations/<int:booking_pk>/annuler/",
        views.partner_booking_cancel,
        name="partner_booking_cancel",
    ),
    path("mes-reservations-partenaire/", views.partner_home, name="partner_home"),
    # The cantine's identity and place (issue 15) -----------------------
    path("reglages/", views_cantine.cantine_settings_edit, name="cantine_settings"),
    path("venir/", views_cantine.first_visit, name="first_visit"),
    path("venir/plan/", views_cantine.cantine_map, name="cantine_map"),
]
