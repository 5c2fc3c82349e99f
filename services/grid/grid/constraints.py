"""Database constraints whose violation is a client's conflict (409/422), not a server error."""

from __future__ import annotations

from grid.campaigns.exceptions import CheckInExists
from grid.grids.exceptions import AssignmentOverlaps
from grid.workers.exceptions import PrimaryWorkerTaken, UserSubjectTaken, WorkerAlreadyOnDuty
from shared.errors import ConstraintProblem
from shared.i18n import Text

CONSTRAINT_PROBLEMS: dict[str, ConstraintProblem] = {
    "ex_grid_assignment_no_overlap": ConstraintProblem(
        AssignmentOverlaps,
        Text(
            "这些楼层在重叠期间已分配给某个网格",
            "These floors are already assigned to a grid for an overlapping period",
        ),
        "/floor_from",
    ),
    "ex_grid_duty_one_primary": ConstraintProblem(
        PrimaryWorkerTaken, Text("一格一员:此期间已有专职网格员", "One primary worker per grid: already taken"), "/role"
    ),
    "ex_grid_duty_one_per_worker": ConstraintProblem(
        WorkerAlreadyOnDuty,
        Text("该网格员在此期间已在本网格值守", "The worker is already on duty here then"),
        "/worker_id",
    ),
    "uq_campaign_check_in_campaign_id_day_building_id": ConstraintProblem(
        CheckInExists, Text("该楼宇当天已报到", "The building already checked in that day"), "/building_id"
    ),
    "uq_grid_worker_user_subject": ConstraintProblem(
        UserSubjectTaken, Text("该平台账号已关联其他网格员", "The account is linked to another worker"), "/user_subject"
    ),
}
