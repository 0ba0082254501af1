"""Logging in by email, and what every logged-in page reads: its user and their permissions.

Django's ModelBackend reads the user with one ORM query and the permissions
with two; composing those queries cost more CPU than the rest of a cached page
(docs/benchmark.md). Here each is one plain SQL statement, with the same rules
(an inactive user is nobody, a superuser has every permission, the others have
their own permissions plus their groups'), and its result is kept in this
process under the ``accounts`` change counter (cantine/changes.py): any
committed change to a user, a group membership or a permission changes the
counter, so a deactivated account, a new password or a role taken away counts
from the very next request.
"""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections

from cantine.changes import KeyedCache, change_counters

# A user's row as the database gave it (fresh objects are built from it), and their permissions.
_users = KeyedCache(size=2000)
_permissions = KeyedCache(size=2000)
_MISSING = object()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _user_columns(alias: str) -> tuple[list, str, list[tuple[int, list]]]:
    """The user's columns, and the converters the ORM would run on them (dates and booleans on SQLite)."""
    connection = connections[alias]
    User = get_user_model()
    columns = [field.get_col(User._meta.db_table) for field in User._meta.concrete_fields]
    converters = []
    for index, column in enumerate(columns):
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found))
    names = ", ".join(connection.ops.quote_name(column.target.column) for column in columns)
    return columns, names, converters


class EmailBackend(ModelBackend):
    """Log in with the email address (case does not matter) or the username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        username = username.strip()
        user = (
            User.objects.filter(email__iexact=username).order_by("pk").first()
            or User.objects.filter(username__iexact=username).order_by("pk").first()
        )
        if user is None:
            # Same cost as a wrong password, so timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # The counter first, then the row: a change committed in between is in the row.
        accounts = change_counters().get("accounts")
        key = (user_id, accounts)
        cached = _users.get(key) if accounts is not None else None
        values = cached[0] if cached else self._user_row(user_id)
        if cached is None and accounts is not None:
            _users.put(key, values)
        if values is _MISSING:
            return None
        columns, _, _ = _user_columns(connection.alias)
        # A new object each time: a request may change its user without touching the next one's.
        user = get_user_model().from_db(connection.alias, [column.target.attname for column in columns], values)
        return user if self.user_can_authenticate(user) else None

    @staticmethod
    def _user_row(user_id) -> list | object:
        User = get_user_model()
        columns, names, converters = _user_columns(connection.alias)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {names} FROM {_table(User)} WHERE id = %s", [user_id])  # noqa: S608
            row = cursor.fetchone()
        if row is None:
            return _MISSING
        values = list(row)
        for index, field_converters in converters:
            for convert in field_converters:
                values[index] = convert(values[index], columns[index], connection)
        return tuple(values)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            accounts = change_counters().get("accounts")
            key = (user_obj.pk, user_obj.is_superuser, accounts)
            cached = _permissions.get(key) if accounts is not None else None
            found = cached[0] if cached else self._permissions_of(user_obj)
            if cached is None and accounts is not None:
                _permissions.put(key, found)
            user_obj._perm_cache = set(found)
        return user_obj._perm_cache

    @staticmethod
    def _permissions_of(user) -> frozenset[str]:
        User = get_user_model()
        permission, content_type = _table(Permission), _table(ContentType)
        sql = (
            f"SELECT ct.app_label, p.codename FROM {permission} p "  # noqa: S608 - table names only
            f"JOIN {content_type} ct ON ct.id = p.content_type_id"
        )
        params = []
        if not user.is_superuser:
            user_permissions = _table(User.user_permissions.through)
            user_groups = _table(User.groups.through)
            group_permissions = _table(Group.permissions.through)
            sql += (
                f" WHERE p.id IN (SELECT permission_id FROM {user_permissions} WHERE user_id = %s"
                f" UNION SELECT gp.permission_id FROM {group_permissions} gp"
                f" JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
            )
            params = [user.pk, user.pk]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return frozenset(f"{app_label}.{codename}" for app_label, codename in cursor.fetchall())
