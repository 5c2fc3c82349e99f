"""Errors of grids and assignments."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class GridNotFound(NotFound):
    code = "GRID_NOT_FOUND"
    title = Text("网格不存在", "Grid not found")


class AssignmentNotFound(NotFound):
    code = "ASSIGNMENT_NOT_FOUND"
    title = Text("楼宇分配记录不存在", "Assignment not found")


class AssignmentOverlaps(Conflict):
    code = "ASSIGNMENT_OVERLAPS"
    title = Text("该楼宇(楼层)在此期间已分配给网格", "These floors of the building are already assigned then")


class BuildingOutsideCommunity(ValidationFailed):
    code = "BUILDING_OUTSIDE_COMMUNITY"
    title = Text("楼宇在该期间不属于网格所在社区", "The building is not in the grid's community for that period")


class OutsideGridValidity(ValidationFailed):
    code = "OUTSIDE_GRID_VALIDITY"
    title = Text("日期超出网格有效期", "The dates fall outside the grid's validity")


class GridRetired(Conflict):
    code = "GRID_RETIRED"
    title = Text("网格已撤销", "The grid is retired")


class InvalidGridParent(ValidationFailed):
    code = "INVALID_GRID_PARENT"
    title = Text("上级网格无效", "Invalid parent grid")


class InvalidSuccessor(ValidationFailed):
    code = "INVALID_SUCCESSOR"
    title = Text("继任网格无效", "Invalid successor grid")
