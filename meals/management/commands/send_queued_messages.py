"""The outbox's worker: sends the queued emails and SMS, with retries (meals/outbox.py, README « Messages »).

Run it all the time (systemd, see README); ``--batch`` sends what is due and
exits (cron, tests). SIGTERM or Ctrl+C stops it after the message it is
sending; a second one stops it at once (that message is then recovered by the
next worker, see meals/outbox.py).
"""

import signal
import time

from django.core.management.base import BaseCommand

from meals import outbox


class Command(BaseCommand):
    help = "Send the queued emails and SMS (retries with backoff); runs until stopped, or once with --batch."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Send what is due, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between two looks at the queue.")

    def handle(self, *args, batch: bool = False, interval: float = 2.0, **options):
        self.stopping = False

        def stop(signum, frame):
            if self.stopping:
                raise SystemExit(1)
            self.stopping = True

        if not batch:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        sent = 0
        while True:
            recovered = outbox.recover()
            if recovered:
                self.stdout.write(f"Messages taken back from a stopped worker: {recovered}")
            sent += outbox.run_due(stop=lambda: self.stopping, fresh_connections=True)
            if batch or self.stopping:
                break
            time.sleep(interval)
        if options["verbosity"] >= 1:
            self.stdout.write(f"Message tasks run: {sent}")
