import datetime

from django.utils import timezone

from industry import tasks
from industry.models import DemandUpload, UploadState


def test_previews_never_committed_are_purged_after_two_days(open_round, member_a):
    def upload(state, age_hours):
        return DemandUpload.objects.create(
            round=open_round,
            organisation=member_a.organisation,
            uploaded_by=member_a,
            filename="demand.csv",
            content=b"material,period,quantity,unit\n",
            state=state,
            created_at=timezone.now() - datetime.timedelta(hours=age_hours),
        )

    stale = upload(UploadState.PREVIEW, 49)
    fresh = upload(UploadState.PREVIEW, 1)
    committed = upload(UploadState.COMMITTED, 100)

    assert tasks.purge_stale_uploads.apply().get() == 1
    assert not DemandUpload.objects.filter(pk=stale.pk).exists()
    assert DemandUpload.objects.filter(pk__in=[fresh.pk, committed.pk]).count() == 2
