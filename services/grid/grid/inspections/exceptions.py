"""Errors of checklist templates and inspections."""

from __future__ import annotations

from shared.errors import NotFound, ValidationFailed
from shared.i18n import Text


class TemplateNotFound(NotFound):
    code = "CHECKLIST_TEMPLATE_NOT_FOUND"
    title = Text("检查表模板不存在", "Checklist template not found")


class InspectionNotFound(NotFound):
    code = "INSPECTION_NOT_FOUND"
    title = Text("巡查记录不存在", "Inspection not found")


class BuildingNotInGrid(ValidationFailed):
    code = "BUILDING_NOT_IN_GRID"
    title = Text("该楼宇当日不在此网格内", "The building is not in this grid on that day")


class AnswersDoNotMatchTemplate(ValidationFailed):
    code = "ANSWERS_DO_NOT_MATCH_TEMPLATE"
    title = Text("回答与检查表不符", "The answers do not match the checklist")
