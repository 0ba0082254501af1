"""The benchmark: a year of data, gunicorn with 2 workers, 8 concurrent clients.

    .venv/bin/python tests/benchmark.py              # ~4 minutes; writes docs/benchmark.md

It builds a busy year (``seed_demo --scale year``) in PostgreSQL when
``DATABASE_URL`` is set (in a fresh database ``<name>_bench`` next to it), else
in a temporary SQLite file; serves the app with gunicorn (2 sync workers,
``DEBUG=0 HTTPS=off BOOKING_RATE_LIMIT=off``) on 127.0.0.1 only; then loads
each key page with 8 concurrent keep-alive clients for a bounded time and
measures requests/s, p50/p95/p99 latency and each worker's peak memory. In the
same run it measures a bare Django view under the same settings and
middleware (``tests/bench/urls.py``): the ceiling every page is compared with.
Pages whose URL does not exist yet are reported as "not available yet".

Not collected by pytest (its name does not start with ``test_``).
"""

import argparse
import http.client
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
NOTES_MARKER = "<!-- Notes below this line are kept when the benchmark rewrites the file. -->"

# Targets (issue 8).
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
TARGET_BOARD_200_RPS = 330.0  # 100 × the 3.3 req/s of a popular volunteer tool
TARGET_RSS_MB = 150.0
TARGET_YEAR_REPORT_P99_MS = 300.0


@dataclass
class Result:
    name: str
    detail: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    unavailable: str = ""
    # Every request sent, warm-up included (for the CPU time per request).
    sent: int = 0
    # The gunicorn workers' CPU time per request, in ms (user + system).
    cpu_ms: float = 0.0
    # The bare view's req/s measured just before this page: load on a shared
    # machine changes, so each page is compared with its own ceiling.
    ceiling: float = 0.0
    # SQL queries of one request (session and user included), counted in-process.
    queries: int | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


# --- Environment and data ----------------------------------------------------


def bench_environment(database_url: str, sqlite_path: str, static_root: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CANTINE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
            "DEBUG": "0",
            "HTTPS": "off",
            "BOOKING_RATE_LIMIT": "off",
            "SECRET_KEY": "benchmark-" + secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": HOST,
            "STATIC_ROOT": static_root,
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = sqlite_path
    return env


def fresh_postgres_database(url: str) -> str:
    """Create ``<name>_bench`` next to the database of ``url``; return its URL."""
    import psycopg

    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "cantine") + "_bench"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed._replace(path="/" + name).geturl()


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Scenario:
    upcoming_meal: int = 0
    door_meal: int = 0
    door_bookings: int = 0
    booking_meal: int = 0
    month: str = ""
    year: str = ""


def prepare_pages(rng: random.Random) -> Scenario:
    """The door desk's meal with 150 bookings and a meal with room for every booking POST."""
    from django.utils import timezone

    from meals.models import Booking, Meal
    from tests.conftest import create_meal

    now = timezone.now()
    today = timezone.localdate()
    upcoming = Meal.objects.scheduled().filter(starts_at__gt=now).order_by("starts_at").first()
    door_meal = create_meal(day=today, capacity=200, title="Grand déjeuner (banc d'essai)")
    bookings = [
        Booking(
            meal=door_meal,
            name=f"Convive {index:03d} {rng.choice(['Martin', 'Durand', 'Nguyen', 'Diallo', 'Petit'])}",
            phone=f"07 00 00 {index // 100:02d} {index % 100:02d}",
            party_size=1,
            notes="Sans gluten" if index % 11 == 0 else "",
            checked_in_at=now if index % 2 else None,
        )
        for index in range(150)
    ]
    Booking.objects.bulk_create(bookings)
    Meal.objects.filter(pk=door_meal.pk).update(seats_taken=150)
    booking_meal = create_meal(
        day=today + timedelta(days=3), capacity=1_000_000, title="Banquet (banc d'essai)", shifts=False
    )
    last_month = today.replace(day=1) - timedelta(days=1)
    return Scenario(
        upcoming_meal=upcoming.pk if upcoming else door_meal.pk,
        door_meal=door_meal.pk,
        door_bookings=150,
        booking_meal=booking_meal.pk,
        month=f"{last_month:%Y-%m}",
        year=str(today.year),
    )


def prepare_board(rng: random.Random, shifts_wanted: int) -> int:
    """Leave exactly ``shifts_wanted`` shifts on the board (next three weeks), half their slots taken."""
    from django.utils import timezone

    from meals.models import Meal, Shift, ShiftSignup
    from members.models import Member
    from tests.conftest import create_meal

    now = timezone.now()
    # The board's window: cancel what is in it, then plan exactly what we want.
    Meal.objects.filter(starts_at__gt=now, starts_at__lt=now + timedelta(days=22)).update(status=Meal.Status.CANCELLED)
    volunteers = list(Member.objects.filter(user__groups__name="volunteer")[:60])
    roles = [Shift.Role.COOKING, Shift.Role.TABLE, Shift.Role.DISHES, Shift.Role.WELCOME]
    made = 0
    index = 0
    while made < shifts_wanted:
        day = timezone.localdate() + timedelta(days=2 + index % 18)
        meal = create_meal(day=day, capacity=40, shifts=False, title=f"Repas {index + 1}")
        for role in roles[: min(4, shifts_wanted - made)]:
            shift = Shift.objects.create(
                meal=meal,
                role=role,
                starts_at=meal.starts_at - timedelta(hours=1),
                ends_at=meal.starts_at,
                slots=6,
            )
            chosen = rng.sample(volunteers, k=3)
            ShiftSignup.objects.bulk_create([ShiftSignup(shift=shift, member=member) for member in chosen])
            Shift.objects.filter(pk=shift.pk).update(taken=len(chosen))
            made += 1
        index += 1
    return made


# --- Server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(PYTHON).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "cantine.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/__bare__/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not start:\n" + (server.stderr.read() if server.stderr else ""))


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- Load generator ----------------------------------------------------------


def count_queries(path: str, cookie: str) -> int:
    """The queries one GET of ``path`` issues once warm (the second of two), through Django's test client here."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    for part in filter(None, cookie.split("; ")):
        name, value = part.split("=", 1)
        client.cookies[name] = value
    client.get(path)  # the first request of a process also reads the user and their permissions
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return len(queries)


def cookies_of(response) -> str:
    return "; ".join(response.headers.get_all("Set-Cookie") or [])


def log_in(port: int, email: str, password: str) -> str:
    """Log in through the real form; return the Cookie header of the session."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("GET", "/comptes/login/")
    response = connection.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookies_of(response)).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"username": email, "password": password, "csrfmiddlewaretoken": token})
    connection.request(
        "POST",
        "/comptes/login/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}"},
    )
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", cookies_of(response))
    if response.status != 302 or not session:
        sys.exit(f"could not log in as {email} (status {response.status})")
    return f"csrftoken={csrf_cookie}; sessionid={session.group(1)}"


def load(
    port: int,
    result: Result,
    *,
    path: str,
    cookie: str = "",
    clients: int,
    seconds: float,
    expect: int = 200,
    make_request=None,
) -> Result:
    """``clients`` threads hammer ``path`` for ``seconds`` (after a one-second warm-up)."""
    stop_at = 0.0
    start = threading.Barrier(clients + 1)
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        prepared = make_request(connection, number) if make_request else None
        headers = {"Cookie": cookie} if cookie else {}
        latencies, errors, count = [], 0, 0
        start.wait()
        warm_until = time.perf_counter() + 1.0
        while True:
            began = time.perf_counter()
            if began >= stop_at:
                break
            try:
                if prepared:
                    method, url, body, request_headers = prepared(count)
                    connection.request(method, url, body=body, headers=request_headers)
                else:
                    connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == expect
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            count += 1
            if began >= warm_until:
                latencies.append(time.perf_counter() - began)
                errors += not ok
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.requests += len(latencies)
            result.sent += count

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    stop_at = time.perf_counter() + 1.0 + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = seconds
    return result


def booking_requests(port: int, meal_pk: int):
    """Each client fetches the meal page once (CSRF cookie and token), then books with a new email each time."""
    path = f"/repas/{meal_pk}/"

    def prepare(connection: http.client.HTTPConnection, number: int):
        connection.request("GET", path)
        response = connection.getresponse()
        page = response.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", cookies_of(response)).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        action = re.search(r'<form[^>]*action="([^"]*reserver/)"', page)
        url = action.group(1) if action else f"{path}reserver/"
        run = secrets.token_hex(3)

        def request(count: int):
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "name": f"Convive {number}-{count}",
                    "email": f"banc-{run}-{number}-{count}@exemple.test",
                    "phone": "",
                    "party_size": "1",
                }
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"}
            return "POST", url, body, headers

        return request

    return prepare


# --- Report ------------------------------------------------------------------


def machine_info(database_url: str) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django import get_version
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version} (WAL)"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "load": f"{os.getloadavg()[0]:.1f}",
        "python": platform.python_version(),
        "django": get_version(),
        "database": database,
        "os": platform.platform(),
    }


def verdict(result: Result) -> str:
    if result.unavailable:
        return "—"
    misses = []
    ratio = result.rps / result.ceiling if result.ceiling else 0
    if result.name != "bare view (ceiling)" and ratio < TARGET_RATIO:
        misses.append(f"ratio < {TARGET_RATIO}")
    limit = TARGET_YEAR_REPORT_P99_MS if result.name == "year report" else TARGET_P99_MS
    if result.percentile(99) >= limit:
        misses.append(f"p99 ≥ {limit:.0f} ms")
    if result.name == "shift board, 200 shifts" and result.rps < TARGET_BOARD_200_RPS:
        misses.append(f"< {TARGET_BOARD_200_RPS:.0f} req/s")
    if result.errors:
        misses.append(f"{result.errors} errors")
    return "✅" if not misses else "❌ " + ", ".join(misses)


def write_markdown(path: Path, *, results, memory, info, clients, seconds, seed_seconds, counts) -> str:
    lines = [
        "# Benchmark",
        "",
        "Produced by `.venv/bin/python tests/benchmark.py` (see the README). A year of data",
        f"(`seed_demo --scale year`: {counts}; built in {seed_seconds:.0f} s), gunicorn with "
        f"{len(memory)} sync workers, `DEBUG=0 HTTPS=off BOOKING_RATE_LIMIT=off`, {clients} concurrent "
        f"clients on 127.0.0.1 for {seconds:.0f} s per line (after a 1 s warm-up).",
        "",
        f"Machine: {info['cpus']} × {info['cpu']}; {info['os']}; Python {info['python']}, "
        f"Django {info['django']}, {info['database']}; load average (1 min) {info['load_start']} at the start, "
        f"{info['load']} at the end; {info['date']}.",
        "",
        "| page | data | queries | req/s | p50 ms | p95 ms | p99 ms | ceiling req/s | × ceiling "
        "| worker CPU ms/req | targets |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        if result.unavailable:
            lines.append(f"| {result.name} | {result.detail} | | {result.unavailable} | | | | | | | — |")
            continue
        lines.append(
            f"| {result.name} | {result.detail} | {'' if result.queries is None else result.queries} | "
            f"{result.rps:.0f} | {result.percentile(50):.1f} | "
            f"{result.percentile(95):.1f} | {result.percentile(99):.1f} | {result.ceiling:.0f} | "
            f"{result.rps / result.ceiling:.2f} | {result.cpu_ms:.1f} | {verdict(result)} |"
        )
    lines += [
        "",
        "Peak memory (VmHWM) per gunicorn worker: "
        + ", ".join(f"{mb:.0f} MB" for mb in memory)
        + (" ✅" if memory and max(memory) < TARGET_RSS_MB else f" ❌ (target < {TARGET_RSS_MB:.0f} MB)"),
        "",
        f"Targets: every page ≥ {TARGET_RATIO} × the ceiling (the bare view under the same settings and "
        "middleware, measured for half as long just before each page, so that a change in the machine's "
        f"load hits both alike); p99 < {TARGET_P99_MS:.0f} ms (the year report: < "
        f"{TARGET_YEAR_REPORT_P99_MS:.0f} ms); the 200-shift board ≥ {TARGET_BOARD_200_RPS:.0f} req/s "
        f"(100 × the 3.3 req/s of a popular volunteer tool); < {TARGET_RSS_MB:.0f} MB per worker.",
        "",
        "Queries: the SQL statements of one request once the process is warm (its first request also "
        "reads the user and their permissions, kept afterwards under the accounts change counter).",
        "",
        "Worker CPU ms/req is the gunicorn workers' own CPU time (user + system) per request, warm-up "
        "included; it does not depend on what else runs on the machine, and 1000 × cores ÷ it bounds the "
        "req/s of dedicated cores (the database's own CPU and the load generator's come on top).",
        "",
    ]
    generated = "\n".join(lines)
    notes = ""
    if path.exists() and NOTES_MARKER in path.read_text():
        notes = path.read_text().split(NOTES_MARKER, 1)[1]
    path.write_text(generated + "\n" + NOTES_MARKER + (notes or "\n"))
    return generated


# --- Main --------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per page (default 10)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmark.md"))
    parser.add_argument(
        "--only", default="", help="measure only the pages whose name contains this text (with --output elsewhere)"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="cantine-bench-"))
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url:
        database_url = fresh_postgres_database(database_url)
    env = bench_environment(database_url, str(workdir / "bench.sqlite3"), str(workdir / "static"))
    rng = random.Random(8)

    print("building a year of data…", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "-v0")
    began = time.perf_counter()
    seed_output = manage(env, "seed_demo", "--scale", "year")
    seed_seconds = time.perf_counter() - began
    counts = seed_output.splitlines()[0].split(":", 1)[-1].strip().rstrip(".")
    print(f"  {counts} in {seed_seconds:.1f} s", flush=True)

    setup_django(env)
    from django.urls import NoReverseMatch, reverse

    scenario = prepare_pages(rng)
    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    results: list[Result] = []
    try:
        volunteer = log_in(port, "benevole@cantine.test", "cantine-demo-2026")
        coordinator = log_in(port, "coordination@cantine.test", "cantine-demo-2026")

        def measure(name, detail, url_name, *, kwargs=None, query=None, cookie="", expect=200, make_request=None):
            result = Result(name, detail)
            if args.only and url_name and args.only not in name:
                return result
            try:
                path = reverse(url_name, kwargs=kwargs) if url_name else "/__bare__/"
            except NoReverseMatch:
                result.unavailable = "not available yet"
                results.append(result)
                print(f"  {name}: not available yet", flush=True)
                return result
            if query:
                path += "?" + urlencode(query)
            if make_request is None:
                probe = http.client.HTTPConnection(HOST, port, timeout=30)
                probe.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                status = probe.getresponse().status
                probe.close()
                if status != expect:
                    result.unavailable = f"not available (HTTP {status})"
                    results.append(result)
                    print(f"  {name}: HTTP {status}", flush=True)
                    return result
            if url_name:
                ceiling = Result("bare view", "")
                load(port, ceiling, path="/__bare__/", clients=args.clients, seconds=max(2.0, args.seconds / 2))
                result.ceiling = ceiling.rps
            if url_name and make_request is None:
                result.queries = count_queries(path, cookie)
            workers = worker_pids(server.pid)
            cpu_before = cpu_seconds(workers)
            load(
                port,
                result,
                path=path,
                cookie=cookie,
                clients=args.clients,
                seconds=args.seconds,
                expect=expect,
                make_request=make_request,
            )
            result.cpu_ms = (cpu_seconds(workers) - cpu_before) * 1000 / max(result.sent, 1)
            result.ceiling = result.ceiling or result.rps
            results.append(result)
            print(
                f"  {name}: {result.rps:.0f} req/s (ceiling {result.ceiling:.0f}), p50 {result.percentile(50):.1f} ms, "
                f"p99 {result.percentile(99):.1f} ms, {result.cpu_ms:.1f} ms CPU/req, {result.errors} errors",
                flush=True,
            )
            return result

        load_start = f"{os.getloadavg()[0]:.1f}"
        print(f"measuring… (load average {load_start})", flush=True)
        measure("bare view (ceiling)", "no query, start of run", None)
        measure("upcoming meals (/)", "next 2 weeks", "meals:upcoming")
        measure("meal page", "booking form", "meals:meal", kwargs={"pk": scenario.upcoming_meal})
        measure(
            "door desk",
            f"{scenario.door_bookings} bookings",
            "meals:door",
            kwargs={"pk": scenario.door_meal},
            cookie=coordinator,
        )
        measure("month report", scenario.month, "meals:reports", query={"month": scenario.month}, cookie=coordinator)
        measure("year report", scenario.year, "meals:reports", query={"year": scenario.year}, cookie=coordinator)
        measure(
            "booking POST",
            "new booking each time",
            "meals:book",
            kwargs={"pk": scenario.booking_meal},
            expect=302,
            make_request=booking_requests(port, scenario.booking_meal),
        )
        for shifts in (10, 200):
            made = prepare_board(rng, shifts)
            measure(f"shift board, {shifts} shifts", f"{made} shifts, volunteer", "meals:shifts", cookie=volunteer)
        measure("bare view (ceiling)", "no query, end of run", None)
        memory = [peak_rss_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    info = machine_info(database_url) | {"load_start": load_start}
    table = write_markdown(
        Path(args.output),
        results=results,
        memory=memory,
        info=info,
        clients=args.clients,
        seconds=args.seconds,
        seed_seconds=seed_seconds,
        counts=counts,
    )
    print()
    print(table)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
