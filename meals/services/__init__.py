"""The canteen's rules that must hold under concurrency, one function each.

Every function that writes opens one ``transaction.atomic()`` and takes its
row locks in ONE order, everywhere (``meals.services.locks``):

1. the meal (``lock_meal``; several meals: ``lock_meals``, in primary-key order);
2. then its shifts (``lock_shift``, or ``lock_meal(..., shifts=True)`` for all of them);
3. then its bookings (``lock_booking``);

and a member's row, when one is written, after the meal it is booked for.
Nothing below the meal is locked before the meal: two transactions on one
meal queue on its row, so they never hold a row the other waits for (no
"deadlock detected" on PostgreSQL). ``select_for_update()`` never goes
through a ``select_related()`` join without ``of=("self",)``: on PostgreSQL
that would lock the joined rows too, out of order.

- ``booking``: take a seat, the waiting list and its promotion, cancel.
- ``door``: check-in, walk-ins, contributions, the till.
- ``planning``: meals and series, their cancellation, partner seat blocks.
- ``shifts``: a meal's shifts, claiming and releasing slots, reminders.
"""
