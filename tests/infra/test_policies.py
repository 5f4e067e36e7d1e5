"""Each role's S3 policy grants exactly what the role needs, zone by zone (infra/minio/policies/*.json)."""

from __future__ import annotations

import pytest

from pipelines.lake.layout import Zone
from pipelines.lake.policies import Request, UnsupportedPolicy, grants, is_allowed, load_policies, zone_request

BUCKET = "citylake"
NOTHING: set[str] = set()
LIST = {"list"}
EXPECTED = {
    # departments drop files into landing and can do nothing else
    "department": {
        Zone.LANDING: {"write"},
        Zone.RAW: NOTHING,
        Zone.CLEAN: NOTHING,
        Zone.QUARANTINE: NOTHING,
        Zone.CURATED: NOTHING,
        Zone.META: NOTHING,
    },
    # ingest reads landing, writes raw (never deletes it); lists the bucket (HeadBucket needs it)
    "ingest": {
        Zone.LANDING: {"read", "list"},
        Zone.RAW: {"read", "write", "list"},
        Zone.CLEAN: LIST,
        Zone.QUARANTINE: LIST,
        Zone.CURATED: LIST,
        Zone.META: LIST,
    },
    # the pipelines read raw and publish the tables; they never write or delete raw or landing
    "pipelines": {
        Zone.LANDING: LIST,
        Zone.RAW: {"read", "list"},
        Zone.CLEAN: {"read", "write", "delete", "list"},
        Zone.QUARANTINE: {"read", "write", "delete", "list"},
        Zone.CURATED: {"read", "write", "delete", "list"},
        Zone.META: LIST,
    },
    # BI reads the curated marts and nothing else
    "bi": {
        Zone.LANDING: NOTHING,
        Zone.RAW: NOTHING,
        Zone.CLEAN: NOTHING,
        Zone.QUARANTINE: NOTHING,
        Zone.CURATED: {"read", "list"},
        Zone.META: NOTHING,
    },
}


@pytest.fixture(scope="module")
def policies() -> dict[str, dict]:
    return load_policies()


def test_there_is_a_policy_for_every_role_and_no_other(policies) -> None:
    assert sorted(policies) == sorted(EXPECTED)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_gets_exactly_its_operations_per_zone(policies, role) -> None:
    assert grants(policies[role], BUCKET) == EXPECTED[role]


def test_the_meta_zone_is_split_between_ingest_and_the_pipelines(policies) -> None:
    meta = {
        key: {
            role: {
                op for op in ("read", "write", "delete") if is_allowed(policies[role], zone_request(BUCKET, Zone.META, op, key))
            }
            for role in ("ingest", "pipelines")
        }
        for key in (
            "manifests/air_beijing/a.csv/x.json",
            "ledger/part-0.parquet",
            "runs/air/r1.json",
            "models/traffic/t1/m.pkl",
            "doctor/probe-1",
        )
    }
    assert meta["manifests/air_beijing/a.csv/x.json"] == {"ingest": {"read", "write"}, "pipelines": {"read"}}
    for key in ("ledger/part-0.parquet", "runs/air/r1.json", "models/traffic/t1/m.pkl", "doctor/probe-1"):
        assert meta[key] == {"ingest": NOTHING, "pipelines": {"read", "write", "delete"}}, key


def test_no_role_can_destroy_raw_history_or_change_the_bucket(policies) -> None:
    for role, policy in policies.items():
        for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention"):
            assert not is_allowed(policy, Request(action, f"arn:aws:s3:::{BUCKET}/raw/air_beijing/abc/a.csv")), (role, action)
        for action in ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"):
            assert not is_allowed(policy, Request(action, f"arn:aws:s3:::{BUCKET}")), (role, action)


def test_bi_lists_only_under_curated(policies) -> None:
    bi = policies["bi"]
    assert is_allowed(bi, Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", prefix="curated/air_aqi_daily/_delta_log/"))
    assert not is_allowed(bi, Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", prefix="clean/"))
    assert not is_allowed(bi, Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"))  # the whole bucket


def test_the_evaluator_follows_aws_semantics_and_refuses_what_it_does_not_know() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["arn:aws:s3:::b/raw/*"]},
        ]
    }
    assert is_allowed(policy, Request("s3:GetObject", "arn:aws:s3:::b/raw/x"))
    assert is_allowed(policy, Request("S3:getobject", "arn:aws:s3:::b/raw/x"))  # actions are case-insensitive
    assert not is_allowed(policy, Request("s3:DeleteObject", "arn:aws:s3:::b/raw/x"))  # a Deny wins
    assert not is_allowed(policy, Request("s3:GetObject", "arn:aws:s3:::other/x"))  # nothing allows it
    odd = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ]
    }
    with pytest.raises(UnsupportedPolicy, match=r"condition IpAddress \['aws:SourceIp'\] is not supported"):
        is_allowed(odd, Request("s3:GetObject", "arn:aws:s3:::b/x"))
