"""The pure core of hailong: scoring schema, flows, reply parser and the flow engine.

No clock, no randomness, no I/O besides reading its own data files: time and ids come
in through ``Env``, and the engine returns events for the caller to act on.
"""

from survey_flows.answers import AnswerValue
from survey_flows.complaints import Complaint, Origin, Verification, complaint_from_answer
from survey_flows.dossier import DossierStatus, is_evaluable, normalize_code
from survey_flows.engine import Sprint, evaluation_record, resume, start
from survey_flows.errors import FlowError, FlowInvalid, InvalidDossierCode, SchemaInvalid, UnknownFlow
from survey_flows.events import (
    AnswerRecorded,
    AnswerSkipped,
    ChoiceOut,
    EndStatus,
    Env,
    Event,
    MessageSent,
    SurveyEnded,
    event_to_json,
)
from survey_flows.flow import Flow, Step, StepKind, choices_for
from survey_flows.flow_loader import load_flow, shipped_flows, validate_files
from survey_flows.indicators import (
    DossierExceptions,
    Handling,
    answer_is_complaint,
    apply_exceptions,
    complaint_handling,
    conduct_complaints,
    indicator_3,
    indicator_4,
    indicator_7,
    indicator_8,
    indicator_9,
)
from survey_flows.problems import Problem
from survey_flows.replies import ChoiceReply, ExpireReply, Reply, TextReply
from survey_flows.schema import Band, Digits, Indicator, Schema, Scope, Source
from survey_flows.schema_loader import (
    check_schema_text,
    load_schema,
    load_schema_text,
    schema_template_path,
    shipped_schema_path,
)
from survey_flows.scoring import band_for, dossier_points, indicator_1, indicator_2, period_score, satisfaction_rate
from survey_flows.session import Session, SessionStatus
from survey_flows.terminal import run_terminal
from survey_flows.totals import AgencyEntry, AgencyTotal, Basis, EntryBy, IndicatorLine, agency_total
from survey_flows.versions import VersionProblem, VersionSpan, schema_in_force, version_problems, version_spans

__all__ = [
    "AgencyEntry",
    "AgencyTotal",
    "AnswerRecorded",
    "AnswerSkipped",
    "AnswerValue",
    "Band",
    "Basis",
    "ChoiceOut",
    "ChoiceReply",
    "Complaint",
    "Digits",
    "DossierExceptions",
    "DossierStatus",
    "EndStatus",
    "EntryBy",
    "Env",
    "Event",
    "ExpireReply",
    "Flow",
    "FlowError",
    "FlowInvalid",
    "Handling",
    "Indicator",
    "IndicatorLine",
    "InvalidDossierCode",
    "MessageSent",
    "Origin",
    "Problem",
    "Reply",
    "Schema",
    "SchemaInvalid",
    "Scope",
    "Session",
    "SessionStatus",
    "Source",
    "Sprint",
    "Step",
    "StepKind",
    "SurveyEnded",
    "TextReply",
    "UnknownFlow",
    "Verification",
    "VersionProblem",
    "VersionSpan",
    "agency_total",
    "answer_is_complaint",
    "apply_exceptions",
    "band_for",
    "check_schema_text",
    "choices_for",
    "complaint_from_answer",
    "complaint_handling",
    "conduct_complaints",
    "dossier_points",
    "evaluation_record",
    "event_to_json",
    "indicator_1",
    "indicator_2",
    "indicator_3",
    "indicator_4",
    "indicator_7",
    "indicator_8",
    "indicator_9",
    "is_evaluable",
    "load_flow",
    "load_schema",
    "load_schema_text",
    "normalize_code",
    "period_score",
    "resume",
    "run_terminal",
    "satisfaction_rate",
    "schema_in_force",
    "schema_template_path",
    "shipped_flows",
    "shipped_schema_path",
    "start",
    "validate_files",
    "version_problems",
    "version_spans",
]
