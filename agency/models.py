"""The agency's data, split by sub-domain (the app label stays ``agency``):

- ``projects``: mines, refineries and recycling plants, their capacities and ESG/HSE screen;
- ``stakes``: stake proposals with cap table, offtake right, documents, stages and disbursements;
- ``four_eyes``: the generic two-approver record that stakes and stockpile releases share;
- ``monitoring``: quarterly monitoring reports of approved stakes;
- ``stockpile``: the strategic stockpile (locations, holdings, movements, targets);
- ``scenarios``: saved export-stop scenarios.
"""

from .four_eyes.models import Approval, Decision, FourEyesSubject
from .monitoring.models import (
    REPORT_DUE_DAYS,
    CovenantStatus,
    MonitoringReport,
    OverdueFlag,
    Rating,
    report_due_on,
)
from .projects.models import EsgCheck, EsgItem, EsgStatus, Project, ProjectMaterial, ProjectStage
from .scenarios.models import SavedScenario
from .stakes.models import (
    CLOSED_STAGES,
    REVIEW_PATH,
    CapTableEntry,
    Disbursement,
    DocumentItem,
    DocumentStatus,
    Instrument,
    ProposalDocument,
    ProposalStage,
    StageNote,
    StakeProposal,
)
from .stockpile.models import (
    Holding,
    Location,
    MaterialTarget,
    Movement,
    MovementKind,
    MovementState,
)

__all__ = [
    "CLOSED_STAGES",
    "REPORT_DUE_DAYS",
    "REVIEW_PATH",
    "Approval",
    "CapTableEntry",
    "CovenantStatus",
    "Decision",
    "Disbursement",
    "DocumentItem",
    "DocumentStatus",
    "EsgCheck",
    "EsgItem",
    "EsgStatus",
    "FourEyesSubject",
    "Holding",
    "Instrument",
    "Location",
    "MaterialTarget",
    "MonitoringReport",
    "Movement",
    "MovementKind",
    "MovementState",
    "OverdueFlag",
    "Project",
    "ProjectMaterial",
    "ProjectStage",
    "ProposalDocument",
    "ProposalStage",
    "Rating",
    "SavedScenario",
    "StageNote",
    "StakeProposal",
    "report_due_on",
]
