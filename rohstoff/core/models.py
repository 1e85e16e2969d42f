"""The shared kernel's data: organisations and users with their role, materials, jobs, the audit
log, API tokens and invitations. Domain apps import from here; nothing here imports a domain app.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .chemistry import LCE_PER_LITHIUM


class OrganisationKind(models.TextChoices):
    MEMBER = "member", _("Member firm")
    AGENCY = "agency", _("Raw-material agency")
    TRADINGHOUSE = "tradinghouse", _("Trading house")
    MINISTRY = "ministry", _("Ministry")
    # Producers, refiners, recyclers and traders who offer against a call (docs/suppliers.md).
    SUPPLIER = "supplier", _("Supplier")


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    MEMBER_ADMIN = "member_admin", _("Member administrator")
    AGENCY_ANALYST = "agency_analyst", _("Agency analyst")
    AGENCY_APPROVER = "agency_approver", _("Agency approver")
    TRADING_DESK = "trading_desk", _("Trading desk")
    MINISTRY_VIEWER = "ministry_viewer", _("Ministry viewer")
    SUPPLIER = "supplier", _("Supplier")


# Which roles an organisation of each kind may give its people.
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrganisationKind.MEMBER: (Role.MEMBER, Role.MEMBER_ADMIN),
    OrganisationKind.AGENCY: (Role.AGENCY_ANALYST, Role.AGENCY_APPROVER),
    OrganisationKind.TRADINGHOUSE: (Role.TRADING_DESK,),
    OrganisationKind.MINISTRY: (Role.MINISTRY_VIEWER,),
    OrganisationKind.SUPPLIER: (Role.SUPPLIER,),
}


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    country = CountryField(_("country"), default="DE")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    @property
    def is_member_firm(self) -> bool:
        return self.kind == OrganisationKind.MEMBER


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Their membership is one organisation and one role in it (one organisation per
    user, docs/roles-and-visibility.md); staff admins may have neither."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    is_staff = models.BooleanField(_("staff admin"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # The language mail is written in (rohstoff.core.language.reader_language); kept current when
    # the user switches the pages' language.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role="") | Q(organisation__isnull=False),
                name="user_role_needs_organisation",
            )
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        from django.core.exceptions import ValidationError

        self.email = self.email.lower()
        if self.role and not self.organisation_id:
            raise ValidationError(
                {"organisation": _("A user with a role belongs to an organisation.")}
            )
        if (
            self.role
            and self.organisation
            and self.role not in ROLES_BY_KIND[self.organisation.kind]
        ):
            raise ValidationError(
                {"role": _("This role does not exist in an organisation of this kind.")}
            )

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_member(self) -> bool:
        return self.role in (Role.MEMBER, Role.MEMBER_ADMIN)

    @property
    def is_desk(self) -> bool:
        return self.role == Role.TRADING_DESK

    @property
    def is_agency(self) -> bool:
        return self.role in (Role.AGENCY_ANALYST, Role.AGENCY_APPROVER)

    @property
    def is_ministry(self) -> bool:
        return self.role == Role.MINISTRY_VIEWER

    @property
    def is_supplier(self) -> bool:
        return self.role == Role.SUPPLIER

    @property
    def needs_mfa(self) -> bool:
        """Staff admins (who read every firm's data in the audit log and the admin) and the roles
        in ``settings.MFA_REQUIRED_ROLES`` must sign in with a second factor (docs/security.md)."""
        return self.is_staff or self.is_superuser or self.role in settings.MFA_REQUIRED_ROLES


class MaterialFamily(models.TextChoices):
    LITHIUM = "lithium", _("Lithium")
    MAGNET_REE = "magnet-ree", _("Magnet rare earths")
    GALLIUM = "gallium", _("Gallium")
    GERMANIUM = "germanium", _("Germanium")
    GRAPHITE = "graphite", _("Graphite")
    COBALT = "cobalt", _("Cobalt")
    NICKEL = "nickel", _("Nickel")
    MANGANESE = "manganese", _("Manganese")
    TUNGSTEN = "tungsten", _("Tungsten")
    MAGNESIUM = "magnesium", _("Magnesium")
    SILICON = "silicon", _("Silicon")
    COPPER = "copper", _("Copper")
    ALUMINIUM = "aluminium", _("Aluminium")
    TITANIUM = "titanium", _("Titanium")
    PGM = "pgm", _("Platinum-group metals")
    BISMUTH = "bismuth", _("Bismuth")
    ANTIMONY = "antimony", _("Antimony")


class CrmaStatus(models.TextChoices):
    STRATEGIC = "strategic", _("strategic and critical")
    CRITICAL = "critical", _("critical")


class Material(models.Model):
    """A tradeable product and grade class: the pooling unit of demand
    (docs/periods-and-units.md)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_de = models.CharField(_("name (German)"), max_length=200)
    formula = models.CharField(
        _("formula"),
        max_length=80,
        blank=True,
        help_text=_("Chemical formula of the traded form, hydrates with a dot: LiOH.H2O"),
    )
    composition = models.CharField(
        _("composition"),
        max_length=120,
        blank=True,
        help_text=_("For mixtures and concentrates without one formula: 0.75 Nd2O3 + 0.25 Pr6O11"),
    )
    element = models.CharField(
        _("element"), max_length=8, help_text=_("Symbol, or NdPr for the combined basis")
    )
    family = models.CharField(_("family"), max_length=20, choices=MaterialFamily.choices)
    crma = models.CharField(_("CRMA status"), max_length=12, choices=CrmaStatus.choices)
    element_content = models.DecimalField(
        _("element content"),
        max_digits=12,
        decimal_places=10,
        help_text=_("Mass fraction of the element, computed from formula or composition"),
    )
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("sort order"))

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_in_language(self.name_de, self.name_en)

    @staticmethod
    def name_in_language(name_de: str, name_en: str) -> str:
        """The reader's name of a material, of its two names (also for rows read as values)."""
        return name_de if (get_language() or "de").startswith("de") else name_en

    @property
    def lce_factor(self) -> Decimal | None:
        """Tonnes of lithium carbonate equivalent per tonne of this material (lithium only)."""
        if self.element != "Li":
            return None
        return self.element_content * LCE_PER_LITHIUM

    @property
    def chemical_form(self) -> str:
        return self.formula or self.composition


class JobState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    """A background job and its progress. Tasks report into this row (it outlives Celery's result
    expiry and works the same when jobs run in-process); pages and the API read it."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    # What the job works on, e.g. ("industry.demandround", "17"); at most one active job each.
    subject_type = models.CharField(max_length=60, blank=True, verbose_name=_("subject type"))
    subject_id = models.CharField(max_length=40, blank=True, verbose_name=_("subject id"))
    state = models.CharField(
        max_length=10, choices=JobState.choices, default=JobState.QUEUED, verbose_name=_("state")
    )
    progress = models.FloatField(default=0.0, verbose_name=_("progress"))
    phase = models.CharField(max_length=200, blank=True, verbose_name=_("phase"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    result = models.JSONField(default=dict, blank=True, verbose_name=_("result"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last sign of life"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"],
                condition=Q(state__in=["queued", "running"]),
                name="one_active_job_per_subject",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.subject_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


class OutboxMessage(models.Model):
    """A task to hand to the broker, written in the transaction that decided on it.

    After commit it is published and marked sent; one that could not be published (broker down)
    is re-sent by the beat task ``resend_outbox``. Tasks are idempotent, so a double send is
    harmless. See docs/operations.md.
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict, blank=True)
    # The job this message runs, if any: a queued job whose message is unsent is waiting for the
    # broker, not lost.
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_unsent_idx",
            )
        ]

    def __str__(self):
        return f"{self.task} ({'sent' if self.sent_at else 'unsent'})"


class AuditEvent(models.Model):
    """One append-only audit entry. ``hash`` covers the entry and the hash of the one before it,
    so altering or removing any entry breaks the chain (checked by ``audit_integrity_check``).
    On PostgreSQL a trigger refuses UPDATE and DELETE on this table."""

    seq = models.PositiveBigIntegerField(unique=True, verbose_name=_("sequence number"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(max_length=254, blank=True, verbose_name=_("actor as written"))
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    action = models.CharField(max_length=80, verbose_name=_("action"))
    object_type = models.CharField(max_length=80, verbose_name=_("object type"))
    object_id = models.CharField(max_length=40, verbose_name=_("object id"))
    object_repr = models.CharField(max_length=300, blank=True, verbose_name=_("object"))
    before = models.JSONField(null=True, blank=True, verbose_name=_("before"))
    after = models.JSONField(null=True, blank=True, verbose_name=_("after"))
    prev_hash = models.CharField(max_length=64, verbose_name=_("hash of the previous event"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The newest audit event's number and hash, one row, moved forward by every event in the
    event's own transaction. The integrity check compares the chain with it, so events removed
    from the end of the chain (even those written after the last check) are found."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}"


class AuditCheckpoint(models.Model):
    """What one integrity check verified: the chain head it saw and whether the chain was whole.
    The next check compares the chain with the last good checkpoint; each check also publishes
    its head outside the database (log and ``settings.AUDIT_EMAIL``). Append-only on PostgreSQL,
    like the events."""

    checked_at = models.DateTimeField(default=timezone.now, verbose_name=_("checked at"))
    ok = models.BooleanField(verbose_name=_("intact"))
    checked = models.PositiveBigIntegerField(verbose_name=_("events checked"))
    head_seq = models.PositiveBigIntegerField(verbose_name=_("last event checked"))
    head_hash = models.CharField(max_length=64, verbose_name=_("hash of the last event checked"))
    problem_code = models.CharField(max_length=30, blank=True, verbose_name=_("problem code"))
    problem = models.TextField(blank=True, verbose_name=_("problem"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self):
        return f"{self.checked_at:%Y-%m-%d %H:%M} #{self.head_seq} {'ok' if self.ok else 'FAILED'}"


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 digest of the key is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, verbose_name=_("prefix"))
    digest = models.CharField(max_length=64, unique=True, verbose_name=_("digest"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    """An invitation to join an organisation with a role. The link carries a key derived from the
    invitation with ``SECRET_KEY`` (``key()``); only its digest is stored, so the database alone
    does not open an invitation, and the mail task can build the link again from the id."""

    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    digest = models.CharField(max_length=64, unique=True, verbose_name=_("digest"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    def key(self) -> str:
        """The secret in the invitation's link (docs/security.md, "Invitations")."""
        from django.utils.crypto import salted_hmac

        value = f"{self.pk}:{self.email}:{self.expires_at.timestamp()}"
        return salted_hmac("rohstoff.core.Invitation", value, algorithm="sha256").hexdigest()

    @property
    def accept_url(self) -> str:
        """The absolute link that accepts the invitation."""
        from .mail import absolute_url

        return absolute_url("invitation_accept", self.key())

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AccessibilityFeedback(models.Model):
    """A report of an accessibility barrier (BITV 2.0 § 7 feedback mechanism)."""

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    message = models.TextField(_("description of the barrier"), max_length=5000)
    contact = models.CharField(_("how can we reach you? (optional)"), max_length=254, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("user"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("accessibility feedback")
        verbose_name_plural = _("accessibility feedback")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.page_url or '-'}"
