"""The project's URLs plus ``/__bare__/``: a view that does nothing, under the same middleware.

Its throughput is the ceiling the benchmark compares every page with: what
Django, gunicorn and the middleware cost before the app does any work.
"""

from django.http import HttpResponse
from django.urls import path

from cantine.urls import urlpatterns as project_urlpatterns


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bare__/", bare, name="bench_bare"), *project_urlpatterns]
