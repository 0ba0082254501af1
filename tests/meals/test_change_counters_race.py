"""Commits that bump both change counters, in opposite orders and at the same instant, on PostgreSQL."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from cantine.changes import change_counters
from members.models import Member
from tests.conftest import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 15


def test_writers_bumping_both_counters_in_opposite_orders_never_deadlock():
    User = get_user_model()
    # Each writer its own rows: the only rows they share are the counters'.
    karima, paul = make_user("karima@example.org", name="Karima Benali"), make_user("paul@example.org")
    lea, marc = Member.objects.create(name="Léa Martin"), Member.objects.create(name="Marc Petit")
    before = change_counters()
    errors = []

    def account_then_helper(round_: int) -> None:
        User.objects.filter(pk=karima.pk).update(first_name=f"Karima {round_}")
        Member.objects.filter(pk=lea.pk).update(name=f"Léa {round_}")

    def helper_then_account(round_: int) -> None:
        Member.objects.filter(pk=marc.pk).update(name=f"Marc {round_}")
        User.objects.filter(pk=paul.pk).update(first_name=f"Paul {round_}")

    barrier = threading.Barrier(2)

    def writer(write) -> None:
        try:
            for round_ in range(ROUNDS):
                barrier.wait(timeout=20)
                with transaction.atomic():
                    write(round_)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in (account_then_helper, helper_then_account)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    after = change_counters()
    assert after["board"] != before["board"]
    assert after["accounts"] != before["accounts"]
