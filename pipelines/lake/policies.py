"""Who may do what in the lake: the S3 access policies of infra/minio/policies, read and evaluated.

An evaluator of the subset of the AWS/MinIO policy language the lake's policies use (Allow and Deny,
wildcards in actions and resources, a StringLike condition on s3:prefix), so that tests and
`citylake doctor` can say exactly which role may read, write, delete or list which zone. Anything
outside that subset is refused with an error rather than guessed at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from pipelines.config import PROJECT_ROOT
from pipelines.lake.layout import Zone

POLICY_DIR = PROJECT_ROOT / "infra" / "minio" / "policies"
OPERATIONS = {"read": "s3:GetObject", "write": "s3:PutObject", "delete": "s3:DeleteObject", "list": "s3:ListBucket"}


class UnsupportedPolicy(ValueError):
    """The policy uses a part of the language this evaluator does not understand."""


@dataclass(frozen=True)
class Request:
    """One S3 call: the action, the resource's ARN, and for listings the prefix asked for."""

    action: str
    resource: str
    prefix: str | None = None


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(condition: dict[str, Any], request: Request) -> bool:
    for operator, tests in condition.items():
        if operator != "StringLike" or set(tests) != {"s3:prefix"}:
            raise UnsupportedPolicy(f"condition {operator} {sorted(tests)} is not supported")
        if request.prefix is None or not any(fnmatchcase(request.prefix, p) for p in _as_list(tests["s3:prefix"])):
            return False
    return True


def is_allowed(policy: dict[str, Any], request: Request) -> bool:
    """AWS semantics: an explicit Deny wins, else any matching Allow, else denied."""
    allowed = False
    for statement in policy["Statement"]:
        if set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}:
            raise UnsupportedPolicy(
                f"statement {statement.get('Sid')!r} uses {sorted(set(statement) - {'Sid', 'Effect', 'Action', 'Resource', 'Condition'})}"
            )
        if not any(fnmatchcase(request.action.lower(), a.lower()) for a in _as_list(statement["Action"])):
            continue
        if not any(fnmatchcase(request.resource, r) for r in _as_list(statement["Resource"])):
            continue
        if "Condition" in statement and not _condition_holds(statement["Condition"], request):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def zone_request(bucket: str, zone: Zone, operation: str, key: str = "some/object") -> Request:
    """The request one operation on an object of a zone makes."""
    action = OPERATIONS[operation]
    if operation == "list":
        return Request(action, f"arn:aws:s3:::{bucket}", prefix=f"{zone.value}/")
    return Request(action, f"arn:aws:s3:::{bucket}/{zone.value}/{key}")


def load_policies(directory: Path = POLICY_DIR) -> dict[str, dict[str, Any]]:
    """Every role's policy, by role name (the file name)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def grants(policy: dict[str, Any], bucket: str, zones: tuple[Zone, ...] = tuple(Zone)) -> dict[Zone, set[str]]:
    """Per zone, the operations (read, write, delete, list) the policy allows on an ordinary object."""
    return {zone: {op for op in OPERATIONS if is_allowed(policy, zone_request(bucket, zone, op))} for zone in zones}
