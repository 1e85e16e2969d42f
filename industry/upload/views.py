"""Pages of demand files: upload, preview and commit, the error report, and the file templates."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import DESK, MEMBERS, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.language import uses_decimal_comma

from .. import exports
from ..forms import UploadForm
from ..lines.selectors import lines_visible_to
from ..models import UploadState
from ..rounds.selectors import round_get
from . import selectors, services
from .reading import read_demand_file, size_error
from .validation import error_total, for_reader

PREVIEW_ROWS = 50
ERRORS_SHOWN = 200


@allow(MEMBERS)
@require_POST
def demand_upload(request, pk):
    round = round_get(user=request.user, pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or XLSX file to upload."))
        return redirect("industry:demand_grid", pk=round.pk)
    uploaded = form.cleaned_data["file"]
    if uploaded.size > settings.DEMAND_FILE_MAX_BYTES:
        messages.error(request, size_error(uploaded.size)["message"])
        return redirect("industry:demand_grid", pk=round.pk)
    try:
        upload = services.upload_prepare(
            round=round,
            actor=request.user,
            data=uploaded.read(),
            filename=uploaded.name,
            prefer_comma=uses_decimal_comma(),
        )
    except StateConflict as exc:
        messages.error(request, exc.message)
        return redirect("industry:demand_grid", pk=round.pk)
    return redirect("industry:upload_preview", pk=round.pk, upload_pk=upload.pk)


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def upload_preview(request, pk, upload_pk):
    round = round_get(user=request.user, pk=pk)
    upload = selectors.upload_get(user=request.user, round=round, pk=upload_pk)
    if request.method == "POST":
        try:
            result = services.upload_commit(
                upload=upload, actor=request.user, prefer_comma=uses_decimal_comma()
            )
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("industry:upload_preview", pk=round.pk, upload_pk=upload.pk)
        if result.errors:
            messages.error(request, _("The file no longer passes the checks; nothing was written."))
            return redirect("industry:upload_preview", pk=round.pk, upload_pk=upload.pk)
        messages.success(
            request,
            _("The file was committed: %(created)s new lines, %(replaced)s replaced.")
            % {"created": result.created, "replaced": result.replaced},
        )
        return redirect("industry:demand_grid", pk=round.pk)
    preview_rows, new_count, replace_count = [], 0, 0
    if upload.state == UploadState.PREVIEW:
        parsed = read_demand_file(
            bytes(upload.content), round=round, prefer_comma=uses_decimal_comma()
        )
        if parsed.ok:
            existing = set(
                lines_visible_to(request.user, round=round).values_list(
                    "material__code", "grade", "period", "delivery_country"
                )
            )
            keys = zip(
                parsed.rows["material"],
                parsed.rows["grade"],
                parsed.rows["period"],
                parsed.rows["delivery_country"],
                strict=True,
            )
            replace_count = sum(1 for key in keys if key in existing)
            new_count = parsed.row_count - replace_count
            names = {m.code: m.name for m in round.materials.all()}
            preview_rows = [
                {**row, "material_name": names.get(row["material"], row["material"])}
                for row in parsed.rows.head(PREVIEW_ROWS).to_dict("records")
            ]
    return render(
        request,
        "industry/upload_preview.html",
        {
            "round": round,
            "upload": upload,
            "errors": for_reader(upload.errors[:ERRORS_SHOWN]),
            "error_count": error_total(upload.errors),
            "preview_rows": preview_rows,
            "new_count": new_count,
            "replace_count": replace_count,
            "can_enter": round.is_open_for_entry,
            "preview_limit": PREVIEW_ROWS,
        },
    )


@allow(MEMBERS)
@require_GET
def upload_errors(request, pk, upload_pk):
    round = round_get(user=request.user, pk=pk)
    upload = selectors.upload_get(user=request.user, round=round, pk=upload_pk)
    return exports.download(
        exports.errors_csv(for_reader(upload.errors)),
        f"errors-round-{round.pk}.csv",
        exports.CSV_TYPE,
    )


@allow(MEMBERS | DESK)
@require_GET
def demand_template(request, pk, fmt):
    round = round_get(user=request.user, pk=pk)
    rows = exports.template_rows(round)
    if fmt == "xlsx":
        content = exports.write_xlsx(
            [(_("Demand"), list(exports.COLUMNS), rows), exports.materials_sheet(round)]
        )
        return exports.download(
            content, f"demand-template-round-{round.pk}.xlsx", exports.XLSX_TYPE
        )
    return exports.download(
        exports.write_csv(list(exports.COLUMNS), rows),
        f"demand-template-round-{round.pk}.csv",
        exports.CSV_TYPE,
    )
