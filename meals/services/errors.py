"""The refusals the services share, so each concept has one exception (the message is for the person)."""


class BookingError(Exception):
    """A booking that cannot be made; the message is for the guest (French source)."""


class DoorError(Exception):
    """Something the desk cannot do; the message is for the coordinator (French source)."""


class MealCancelled(BookingError, DoorError):
    """The meal is cancelled: nobody books, checks in or gives for it (booking and door views catch it alike)."""
