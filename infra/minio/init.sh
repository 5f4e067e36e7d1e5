#!/bin/sh
# One shot, run by docker compose (service lake-init): the lake's bucket, its users and their policies.
# Idempotent: run it again after changing a policy. Secrets come from the environment only.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
: "${CITYLAKE_INGEST_SECRET:?}" "${CITYLAKE_PIPELINES_SECRET:?}" "${CITYLAKE_BI_SECRET:?}" "${CITYLAKE_DEPARTMENT_SECRET:?}"

mc alias set lake http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"

# One bucket, one prefix per zone (landing/ raw/ clean/ quarantine/ curated/ _meta/, see pipelines/lake/layout.py).
mc mb --ignore-existing lake/citylake
# Versioning: an overwrite of a raw object keeps the earlier version, and no role may delete a version of raw.
mc version enable lake/citylake
# Old versions of what the pipelines rewrite (Delta files, run records) go after 30 days; raw keeps every version.
for zone in clean quarantine curated _meta; do
  mc ilm rule add --prefix "$zone/" --noncurrent-expire-days 30 lake/citylake >/dev/null 2>&1 || true
done

for role in ingest pipelines bi department; do
  mc admin policy create lake "citylake-$role" "/init/policies/$role.json"
done
mc admin user add lake ingest "$CITYLAKE_INGEST_SECRET"
mc admin user add lake pipelines "$CITYLAKE_PIPELINES_SECRET"
mc admin user add lake bi "$CITYLAKE_BI_SECRET"
mc admin user add lake department "$CITYLAKE_DEPARTMENT_SECRET"
for role in ingest pipelines bi department; do
  mc admin policy attach lake "citylake-$role" --user "$role" 2>/dev/null || true  # already attached: fine
done
echo "lake ready: bucket citylake, users ingest, pipelines, bi, department"
