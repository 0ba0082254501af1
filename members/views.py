from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """Where a volunteer, referent or coordinator lands after logging in."""
    return render(request, "members/home.html")
