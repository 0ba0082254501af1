"""What the app keeps in the cache, under which key, and why it is never stale.

The pages most people open (``/``, a meal's page, the shift board) are built
from rows that change a few times an hour, so their heavy part is rendered
once and kept in Django's ``default`` cache (the database's cache table, or
Redis with ``REDIS_URL``): every worker and every host reads the same
entries. This module is the only place that does it.

**Generations.** Each kind of data has a *generation*: a random token in the
cache, under ``generation:<kind>``.

- ``meals``: meals, their shifts, bookings and partners' seat blocks, which
  ``/``, each meal's page and the door desk's "for whom" list show;
- ``board``: meals, shifts, sign-ups and the helpers' names, which the shift
  board shows;
- ``cantine``: the cantine's settings (its name, address, phone), which every
  page's header and footer show (``members.models.cantine_settings()`` keeps
  the row under it with ``kept_value()``, and a whole kept page depends on it);
- ``door``: a meal's bookings, check-ins and contributions, which the door
  desk's guest rows show (150 rows took two thirds of the desk's CPU time).

``WATCHED`` below says which models belong to which kinds. Saving or deleting
one of them (a service, a form, the admin, the shell) sends Django's
``post_save`` / ``post_delete`` signal, and ``bump()`` then forgets its kinds'
generations **once the transaction commits** (``transaction.on_commit``): a
reader cannot fetch the new generation while the write is still invisible to
it, so nothing rendered from old rows is kept under a new generation. The
next reader of a forgotten generation starts a new one (``cache.add``: two
readers agree on one).

``QuerySet.update()``, ``bulk_create()`` and ``bulk_update()`` send no
signal: the watched models' managers are ``WatchedQuerySet``, whose bulk
writes call ``bump()`` themselves (a ``delete()`` sends ``post_delete`` for
each row). So every write through Django's ORM counts, from a service, a
form, the admin or the shell, and the tests in ``tests/meals/test_cache*.py``
prove each path of the app. That is why there are no database triggers any
more. A write that bypasses the ORM (SQL typed in psql, a restore) must be
followed by ``python manage.py shell -c "from meals.cache import KINDS, bump; bump(*KINDS)"``.
``SHOWN`` narrows a few kinds to the fields they show: a booking changes its
meal's seat counter, which leaves the shift board alone.

**Kept fragments.** ``kept()`` renders templates **without the request**
(so no CSRF token, query string or user can get into them) and keeps the
result under a key made of what is rendered: the templates' names, the
language, what the caller says the fragment varies on (a meal's pk, the
viewer of the board) and the release (a digest of this code and its
templates, so a deploy never serves the previous release's HTML). The entry
holds the generations it was rendered under and the first instant the clock
alone changes it (a booking closes, a shift starts): it is used only while
both still hold. The generations and the entry are read in one
``cache.get_many()``: one query on the database cache, one round trip to
Redis. The page around the fragment (menu, messages, forms' CSRF tokens) is
rendered for each request; a form inside a fragment gets its token through
the HTML ``form`` attribute of an element in that page. Kept HTML never holds
a one-time form key either: forms render its placeholder
(``meals/idempotency.py``) and ``FormKeyMiddleware`` fills each response's.

**Kept pages** (``kept_page()``): ``/``, each meal's page and the shift
board. When no message waits for the viewer and the query string holds only
what the page says it reads, the whole page is kept as well, per kind of
viewer (anonymous, or the set of permissions the menu is drawn from), and
each response puts the viewer's CSRF token in: the one extra piece, for
speed; its docstring says why. An anonymous visitor's page also gets an ETag
made of its generations and clock instant, the language, the path and the
visitor's CSRF cookie, with ``Cache-Control: private, no-cache`` and
``Vary: Cookie, Accept-Language``: a phone revalidates, and gets a 304 with
no body until one of these changes.

Kept values are compressed (zlib): the database cache stores base64 text.
"""

import hashlib
import re
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# Model label -> the kinds of data whose generation a write to it changes.
WATCHED = {
    "meals.Meal": ("meals", "board", "door"),
    "meals.MealSeries": ("meals", "board"),  # its meals are bulk-created with it
    "meals.Shift": ("meals", "board"),
    "meals.ShiftSignup": ("meals", "board"),  # its shift's count changes with it (an update())
    "meals.SeatBlock": ("meals",),
    "meals.Booking": ("meals", "door"),
    "meals.Contribution": ("door",),  # what each guest gave, on the door desk's rows
    "members.Member": ("meals", "board"),  # helpers' names; an erasure blanks its bookings with update()
    "members.Partner": ("meals", "door"),
    "members.CantineSettings": ("cantine",),
    # Why a volunteer cannot claim a shift yet (issue 18): what they met, what each role requires.
    "members.Prerequisite": ("board",),
    "meals.ShiftTemplate": ("board",),
    # What a meal's cost price and shares are computed from (meals/sourcing.py).
    "meals.Supplier": ("meals",),
    "meals.Purchase": ("meals",),
    "meals.PurchaseLine": ("meals",),
    "meals.MealSupply": ("meals",),
}
KINDS = ("meals", "board", "cantine", "door")
# (model, kind) -> the only fields whose change that kind shows (else every write counts): a booking
# changes the meal's seat counter, which the shift board does not show.
SHOWN = {
    ("meals.Meal", "board"): {"title", "starts_at", "status"},
    ("members.Member", "board"): {"name", "user", "user_id"},
}


def _kinds(label: str, fields=None) -> tuple[str, ...]:
    """The kinds a write to ``fields`` of the model ``label`` changes (``fields`` None: any field)."""
    return tuple(
        kind
        for kind in WATCHED[label]
        if fields is None or (label, kind) not in SHOWN or SHOWN[(label, kind)] & set(fields)
    )


# Entries outlive no day: the cache is tidied even where nothing evicts (Redis without a memory limit).
LONGEST = timedelta(days=1)


def _generation_key(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of data: {kind!r}")
    return f"generation:{kind}"


def generation(kind: str) -> str | None:
    """The kind's current generation: None once a write forgot it, until a reader starts the next."""
    return cache.get(_generation_key(kind))


def bump(*kinds: str) -> None:
    """Forget these kinds' generations when the current transaction commits (at once outside one)."""
    keys = [_generation_key(kind) for kind in kinds]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


def _bump_for(sender, update_fields=None, **kwargs) -> None:
    bump(*_kinds(sender._meta.label, update_fields))


class WatchedQuerySet(models.QuerySet):
    """The manager of every model in ``WATCHED``: its bulk writes, which send no signal, bump too."""

    def update(self, **kwargs) -> int:
        bump(*_kinds(self.model._meta.label, kwargs))
        return super().update(**kwargs)

    def bulk_create(self, *args, **kwargs):
        bump(*WATCHED[self.model._meta.label])
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        bump(*_kinds(self.model._meta.label, fields))
        return super().bulk_update(objs, fields, *args, **kwargs)


def connect_signals() -> None:
    """Called once, from ``MealsConfig.ready()``."""
    from django.apps import apps

    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(_bump_for, sender=model, dispatch_uid=f"cache-{label}-save")
        post_delete.connect(_bump_for, sender=model, dispatch_uid=f"cache-{label}-delete")


def _current(generation_keys: list[str], found: dict) -> tuple:
    """The generations ``found`` holds; the forgotten ones are started (``add``: two readers agree on one)."""
    generations = tuple(found.get(name) for name in generation_keys)
    if None in generations:
        for name, value in zip(generation_keys, generations, strict=True):
            if value is None:
                cache.add(name, secrets.token_hex(8), timeout=None)
        found = cache.get_many(generation_keys)
        generations = tuple(found.get(name) for name in generation_keys)
    return generations


def kept_value(key: str, *, kinds: tuple[str, ...], build: Callable[[], object]):
    """``build()``'s value (any picklable value, a model row), kept under ``kinds`` until they change.

    One ``get_many()`` when it holds. As in ``kept()``, the generations are read before the rows.
    """
    generation_keys = [_generation_key(kind) for kind in kinds]
    found = cache.get_many([*generation_keys, key])
    generations = tuple(found.get(name) for name in generation_keys)
    entry = found.get(key)
    if entry is not None and None not in generations and entry[0] == generations:
        return entry[1]
    generations = _current(generation_keys, found)
    value = build()
    if None not in generations:
        cache.set(key, (generations, value), timeout=int(LONGEST.total_seconds()))
    return value


@once
def release() -> str:
    """A digest of this release's code, templates and translations (read once per process)."""
    digest = hashlib.blake2b(digest_size=8)
    root = Path(settings.BASE_DIR)
    for folder in ("cantine", "meals", "members", "templates", "locale"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".txt", ".mo"} and path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    import crispy_bootstrap5
    import crispy_forms
    import django

    digest.update(f"{django.__version__} {crispy_forms.__version__} {crispy_bootstrap5.__version__}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Kept:
    """Rendered fragments (``kept["name"]`` in Python, ``{{ name }}`` once passed as a page's context).

    ``tag`` names this version of them for an ETag; None when they could not be kept (no ETag then).
    """

    parts: dict[str, SafeString]
    tag: str | None
    generations: tuple = ()
    valid_until: datetime | None = None

    def __getitem__(self, name: str) -> SafeString:
        return self.parts[name]


def _key(templates, vary: tuple) -> str:
    return ":".join(["kept", *templates, get_language() or "-", *map(str, vary), release()])


def kept(
    templates: dict[str, str],
    *,
    kinds: tuple[str, ...],
    build: Callable[[], tuple[dict, datetime | None]],
    now: datetime,
    vary: tuple = (),
) -> Kept:
    """``templates`` ({name: template}) rendered with the context ``build()`` returns, kept under ``kinds``.

    ``build()`` reads the rows and returns ``(context, valid_until)``: the first instant the clock
    alone changes what the templates show (None: never). It runs only when no entry holds.
    ``vary`` is what else the output depends on besides the templates, the language and the rows
    of ``kinds`` (a meal's pk, the viewer).
    """
    key = _key(templates.values(), vary)
    generation_keys = [_generation_key(kind) for kind in kinds]
    return _kept(cache.get_many([*generation_keys, key]), key, templates, generation_keys, build, now)


def _kept(found: dict, key: str, templates: dict, generation_keys: list, build, now) -> Kept:
    """What ``kept()`` returns, from what one ``get_many()`` found."""
    generations = tuple(found.get(name) for name in generation_keys)
    parts = _holding(found.get(key), generations, now)
    if parts is not None:
        valid_until = found[key][1]
        return Kept(parts, _tag(key, generations, valid_until), generations, valid_until)
    generations = _current(generation_keys, found)
    # The generations are read before the rows: a write that commits in between forgets them
    # after its commit, so what is kept under them is never used after that write.
    context, valid_until = build()
    parts = {name: _squeezed(render_to_string(template, context)) for name, template in templates.items()}
    if None in generations:  # forgotten again meanwhile
        return Kept(parts, None)
    _keep(key, generations, valid_until, parts, now)
    return Kept(parts, _tag(key, generations, valid_until), generations, valid_until)


def _holding(entry, generations: tuple, now: datetime) -> dict[str, SafeString] | None:
    """The parts of ``entry`` if it was kept under these generations and the clock has not changed it."""
    if entry is None or None in generations:
        return None
    kept_under, valid_until, packed = entry
    if kept_under != generations or (valid_until is not None and now >= valid_until):
        return None
    return {name: mark_safe(zlib.decompress(data).decode()) for name, data in packed.items()}  # noqa: S308


def _keep(key: str, generations: tuple, valid_until: datetime | None, parts: dict[str, str], now: datetime) -> None:
    # Compressed: the database cache stores base64 text, and a 140 kB board is 20 kB to read.
    packed = {name: zlib.compress(html.encode(), 1) for name, html in parts.items()}
    timeout = LONGEST if valid_until is None else min(LONGEST, valid_until - now)
    if timeout.total_seconds() >= 1:
        cache.set(key, (generations, valid_until, packed), timeout=int(timeout.total_seconds()))


def _squeezed(html: str) -> SafeString:
    """Without its indentation (a sixth of the board): one line break says the same to a browser."""
    if "<pre" not in html and "<textarea" not in html:
        html = re.sub(r"\n\s+", "\n", html)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates


def _tag(key: str, generations: tuple, valid_until: datetime | None) -> str:
    return hashlib.blake2b(repr((key, generations, valid_until)).encode(), digest_size=12).hexdigest()


# Stands for the CSRF token in a whole kept page; NUL never comes out of a form (Django refuses it).
CSRF_MARK = "\x00csrf-token\x00"


def kept_page(
    request,
    template: str,
    *,
    parts: dict[str, str],
    kinds: tuple[str, ...],
    build: Callable[[], tuple[dict, datetime | None]],
    now: datetime,
    vary: tuple = (),
    query: tuple[str, ...] = (),
    context: dict | None = None,
) -> HttpResponse:
    """A page of ``parts`` kept as by ``kept()``, inside ``template`` (which gets them by name, and
    ``context``: small values that ``vary`` must cover).

    The page around them (menu, messages, the forms' CSRF tokens) is rendered for each request,
    except in one case, the one extra piece here: with no message waiting and no query string
    but the parameters named in ``query`` (which ``vary`` must cover), the whole page is kept
    too, under the same generations and the ``cantine`` one, per kind of viewer, and each
    response puts its own CSRF token in (``CSRF_MARK``). Rendering ``base.html`` for each request
    took most of the CPU time of a kept page: a third of ``/`` and the meal page, 40 % of the
    shift board, which fell from 568 to 83 req/s without it (docs/benchmark.md). The page
    around the fragments shows nothing of the viewer but that token, whether they are logged
    in, the menu their permissions open (both in the key) and the path (in the key). The ETag
    (``Cache-Control: private, no-cache``) lets a phone revalidate an anonymous visitor's page.
    """
    user = request.user
    anonymous = not user.is_authenticated
    quiet = not len(messages.get_messages(request))
    whole = quiet and request.method in ("GET", "HEAD") and set(request.GET) <= set(query)
    # The menu is drawn from the permissions (members.context_processors.roles); the decorators read them already.
    permissions = sorted(user.get_all_permissions()) if not anonymous else None
    viewer = hashlib.blake2b(repr(permissions).encode(), digest_size=12).hexdigest()
    anonymous = anonymous and quiet
    key = _key(parts.values(), vary)
    page_key = _key([template], (*vary, request.path, viewer)) if whole else None
    generation_keys = [_generation_key(kind) for kind in kinds]
    # The page around the fragments shows the cantine's settings (header, footer, address).
    cantine_key = _generation_key("cantine")
    found = cache.get_many([*generation_keys, cantine_key, key, *([page_key] if whole else [])])
    page_generations = tuple(found.get(name) for name in [*generation_keys, cantine_key])
    page = _holding(found.get(page_key), page_generations, now) if whole else None
    if page is not None:
        tag = _tag(page_key, page_generations, found[page_key][1])
        html = page["page"]
    else:
        cantine_generation = _current([cantine_key], found)[0]
        fragments = _kept(found, key, parts, generation_keys, build, now)
        tag, html = fragments.tag, None
        if tag is not None:
            page_generations = (*fragments.generations, cantine_generation)
            tag = _tag(tag, page_generations, fragments.valid_until)
        if whole and tag is not None and cantine_generation is not None:
            html = render_to_string(template, {**(context or {}), **fragments.parts, "csrf_token": CSRF_MARK}, request)
            _keep(page_key, page_generations, fragments.valid_until, {"page": html}, now)
    etag = _etag(request, tag) if anonymous else None
    response = get_conditional_response(request, etag=etag) if etag else None
    if response is None and html is not None:
        response = HttpResponse(html.replace(CSRF_MARK, get_token(request)))
    elif response is None:
        response = render(request, template, {**(context or {}), **fragments.parts})
    if etag:
        response.headers["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def _etag(request, tag: str | None) -> str | None:
    """The visitor's copy holds their CSRF token: valid while their CSRF cookie stays the same."""
    csrf_secret = request.META.get("CSRF_COOKIE")
    if tag is None or not csrf_secret:
        return None
    digest = hashlib.blake2b(repr((tag, get_language(), request.get_full_path(), csrf_secret)).encode())
    return f'"{digest.hexdigest()[:32]}"'
